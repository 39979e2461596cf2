// SPDX-License-Identifier: GPL-2.0
/*
 * explain.c - "explain PID:ADDR" and "explain PID": why a range is, or is
 * not, PMD-mapped, and what a collapse would do, changing nothing.
 *
 * For one range, one line of KEY=VALUE fields (Documentation/interfaces.rst,
 * "explain"): the VMA's kind and THP policy, the pmd, a census of the PTEs
 * (present, none, swap, migration, marker, device; how many map the expected
 * subpage of the THP, and the first that does not), that THP's order,
 * mapcount, references and pin state, and "would": the result a collapse
 * with the engine= parameter's engine returns now, from that engine's own
 * read-only checks (thp_collapse_would()), not a copy of them.
 *
 * For a process, one line per VMA: its size, how many of its PMD ranges are
 * PMD-mapped, how many hold a pte-mapped THP that a collapse would map, how
 * many would be refused and the commonest reason. The walk is scan.c's: page
 * tables level by level, the mmap read lock let go every few steps.
 *
 * Locks: the mmap read lock, the pmd and PTE table locks for the census and
 * (file) the folio lock inside the checks, as a collapse's own checks take
 * them. Nothing is written: no PTE, no reference kept, no counter of the
 * module's moves ("stats" counts only requests that change something).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>		/* before huge_mm.h */
#include <linux/huge_mm.h>
#include <linux/pagemap.h>
#include <linux/seq_buf.h>
#include <linux/shmem_fs.h>

#include "collapse.h"
#include "compat.h"
#include "explain.h"
#include "pgtable.h"
#include "request.h"
#include "results.h"
#include "scan.h"

/* What the PTEs of one range hold. */
struct thp_census {
	int present;
	int none;
	int swap;
	int migration;
	int marker;
	int device;
	int expected;		/* present, mapping subpage i of the THP */
	int first_other;	/* the first PTE that is neither none nor expected */
	const char *first_kind;
	int order;		/* the THP's order, -1 if there is none */
	int mapcount;
	int refcount;
	bool pinned;
};

static const char *thp_vma_kind(struct vm_area_struct *vma)
{
	if (!vma)
		return "none";
	if (vma_is_anonymous(vma))
		return "anon";
	if (vma->vm_file && shmem_file(vma->vm_file))
		return "shmem";
	if (vma->vm_file)
		return "file";
	return "special";
}

static const char *thp_vma_policy(struct vm_area_struct *vma)
{
	if (thp_mm_thp_disabled(vma->vm_mm))
		return "disabled";
	if (vma->vm_flags & VM_NOHUGEPAGE)
		return "nohugepage";
	if (vma->vm_flags & VM_HUGEPAGE)
		return "hugepage";
	return "default";
}

static const char *thp_pmd_kind(pmd_t pmdval)
{
	if (pmd_none(pmdval))
		return "none";
	if (pmd_trans_huge(pmdval))
		return "huge";
	if (!pmd_present(pmdval))
		return "migration";
	return "table";
}

/* The folio's state, read without its lock: a snapshot. */
static void thp_census_folio(struct thp_census *c, struct folio *folio, int own_refs)
{
	c->order = folio_order(folio);
	c->mapcount = thp_folio_mapcount(folio);
	c->refcount = folio_ref_count(folio) - own_refs;
	c->pinned = folio_maybe_dma_pinned(folio);
}

static void thp_census_other(struct thp_census *c, int i, const char *kind)
{
	if (c->first_other < 0) {
		c->first_other = i;
		c->first_kind = kind;
	}
}

/*
 * Count the PTEs of the range under the pmd and PTE locks. @folio is the
 * file range's page-cache THP (referenced by the caller), or NULL: then
 * (anonymous) the folio of the first present PTE is the THP looked for.
 * Returns false, counting nothing, when the pmd changed under us.
 */
static bool thp_census_ptes(struct thp_req *req, pmd_t *pmd, pmd_t pmdval,
			    struct folio *folio, struct thp_census *c)
{
	struct thp_req r = *req;
	struct thp_pte_lock l;
	pte_t *start_pte;
	int i;

	start_pte = thp_pte_lock(&r, pmd, pmdval, &l);
	for (i = 0; start_pte && i < HPAGE_PMD_NR; i++) {
		pte_t ptent = ptep_get(start_pte + i);
		unsigned long pfn;
		struct page *page;

		if (pte_none(ptent)) {
			c->none++;
			continue;
		}
		if (!pte_present(ptent)) {
			switch (thp_nonpresent_kind(ptent)) {
			case THP_NP_MIGRATION:
				c->migration++;
				thp_census_other(c, i, "migration");
				break;
			case THP_NP_MARKER:
				c->marker++;
				thp_census_other(c, i, "marker");
				break;
			case THP_NP_DEVICE:
				c->device++;
				thp_census_other(c, i, "device");
				break;
			default:
				c->swap++;
				thp_census_other(c, i, "swap");
				break;
			}
			continue;
		}
		c->present++;
		pfn = pte_pfn(ptent);
		if (pte_special(ptent) || !pfn_valid(pfn)) {
			thp_census_other(c, i, "special");
			continue;
		}
		page = pfn_to_page(pfn);
		if (!folio && !req->anon) {
			thp_census_other(c, i, "no_thp");
			continue;
		}
		if (!folio) {
			/* mapped by a PTE we hold the lock of: it cannot go away */
			folio = page_folio(page);
			thp_census_folio(c, folio, 0);
		}
		if (folio_order(folio) == HPAGE_PMD_ORDER && page == folio_page(folio, i))
			c->expected++;
		else if (PageAnon(page) && !req->anon)
			thp_census_other(c, i, "private_copy");
		else
			thp_census_other(c, i, "other_page");
	}
	thp_pte_unlock(&l);
	return start_pte;
}

/*
 * May the census look at this range? Only where the VMA is one a collapse
 * could act on but for its policy: a file or anonymous VMA that covers the
 * range with the page-cache offsets a THP needs.
 */
static bool thp_census_ok(struct thp_req *req, struct vm_area_struct *vma)
{
	switch (req->result) {
	case THP_SUCCEEDED:
	case THP_VMA_NOHUGEPAGE:
	case THP_THP_DISABLED:
	case THP_UFFD:
		return vma;
	default:
		return false;
	}
}

/*
 * One range: its line.
 * Context: mmap read lock held; @vma is the VMA at req->addr or NULL, and
 * req->result what thp_req_lock_vma() made of it.
 */
static void thp_explain_range(struct thp_req *req, struct vm_area_struct *vma)
{
	struct thp_census c = { .first_other = -1, .order = -1 };
	struct seq_buf *s = &req->out;
	struct folio *folio = NULL;
	const char *pmd_kind = "-";
	struct thp_req w = *req;
	pmd_t *pmd, pmdval;
	int nr;

	/* "would" first: the engine's own checks, on a copy of the request */
	thp_collapse_would(&w, vma, &nr);

	if (thp_census_ok(req, vma)) {
		pmd = thp_find_pmd(req->mm, req->haddr);
		if (pmd) {
			pmdval = thp_pmd_read(pmd);
			pmd_kind = thp_pmd_kind(pmdval);
		}
		if (vma->vm_file) {
			pgoff_t index = linear_page_index(vma, req->haddr);

			folio = thp_filemap_get_folio(vma->vm_file->f_mapping, index);
			/* a THP that does not start at the range's first page is not its THP */
			if (folio && folio->index != index) {
				folio_put(folio);
				folio = NULL;
			}
			if (folio)
				thp_census_folio(&c, folio, 1);
		}
		if (pmd && !pmd_none(pmdval) && !pmd_trans_huge(pmdval) && pmd_present(pmdval) &&
		    !thp_census_ptes(req, pmd, pmdval, folio, &c))
			pmd_kind = "changed";
		if (folio)
			folio_put(folio);
	}

	seq_buf_printf(s, "pid=%d addr=%#lx vma=%s thp=%s pmd=%s", req->pid, req->haddr,
		       thp_vma_kind(vma), vma ? thp_vma_policy(vma) : "-", pmd_kind);
	seq_buf_printf(s, " ptes=%d present=%d none=%d swap=%d migration=%d marker=%d device=%d",
		       strcmp(pmd_kind, "table") ? 0 : (int)HPAGE_PMD_NR, c.present, c.none,
		       c.swap, c.migration, c.marker, c.device);
	seq_buf_printf(s, " expected=%d", c.expected);
	if (c.first_other >= 0)
		seq_buf_printf(s, " first_other=%d:%s", c.first_other, c.first_kind);
	else
		seq_buf_printf(s, " first_other=-");
	if (c.order >= 0) {
		seq_buf_printf(s, " order=%d", c.order);
		if (c.mapcount >= 0)
			seq_buf_printf(s, " mapcount=%d", c.mapcount);
		else
			seq_buf_printf(s, " mapcount=-");
		seq_buf_printf(s, " refcount=%d pinned=%d", c.refcount, c.pinned);
	} else {
		seq_buf_printf(s, " order=- mapcount=- refcount=- pinned=-");
	}
	seq_buf_printf(s, " engine=%s would=%s err=%d detail=\"%s\"\n",
		       thp_collapse_engine_name(), thp_result_name(w.result),
		       thp_result_errno(w.result), w.detail);
}

/* Per VMA of "explain PID". */
struct thp_vma_summary {
	int pmd_mapped;
	int pte_mapped_thp;
	int refused;
	u16 reasons[THP_NR_RESULTS];
};

static void thp_explain_vma_line(struct thp_req *req, struct vm_area_struct *vma,
				 struct thp_vma_summary *v, enum thp_result vma_refusal)
{
	enum thp_result top = THP_SUCCEEDED;
	int i;

	for (i = 0; i < THP_NR_RESULTS; i++)
		if (v->reasons[i] > v->reasons[top])
			top = i;
	seq_buf_printf(&req->out,
		       "%lx-%lx kb=%lu vma=%s pmd_mapped=%d pte_mapped_thp=%d refused=%d",
		       vma->vm_start, vma->vm_end, (vma->vm_end - vma->vm_start) >> 10,
		       thp_vma_kind(vma), v->pmd_mapped, v->pte_mapped_thp, v->refused);
	if (vma_refusal != THP_SUCCEEDED)
		seq_buf_printf(&req->out, " reason=%s(vma)\n", thp_result_name(vma_refusal));
	else if (v->refused)
		seq_buf_printf(&req->out, " reason=%s(%u)\n", thp_result_name(top),
			       v->reasons[top]);
	else
		seq_buf_printf(&req->out, " reason=-\n");
}

/* One PMD entry of a VMA of "explain PID". */
static void thp_explain_pmd(struct thp_req *req, struct vm_area_struct *vma,
			    unsigned long haddr, pmd_t *pmd, struct thp_vma_summary *v)
{
	struct thp_req r = { .mm = req->mm, .pid = req->pid, .addr = haddr, .haddr = haddr };
	pmd_t pmdval = thp_pmd_read(pmd);
	int nr;

	if (pmd_none(pmdval))
		return;
	if (pmd_trans_huge(pmdval)) {
		v->pmd_mapped++;
		return;
	}
	if (thp_collapse_would(&r, vma, &nr) == THP_SUCCEEDED) {
		if (nr)
			v->pte_mapped_thp++;
		return;
	}
	/* a table that maps no THP at all is not a refusal worth naming */
	if (r.result == THP_NOT_THP || r.result == THP_PAGE_CACHE_MISS)
		return;
	v->refused++;
	if (v->reasons[r.result] < U16_MAX)
		v->reasons[r.result]++;
}

/*
 * Start the line of @vma: false when it covers no whole PMD range (nothing
 * a THP could be mapped in: no line). *@refusal gets the VMA's own refusal.
 */
static bool thp_explain_vma_open(struct thp_req *req, struct vm_area_struct *vma,
				 struct thp_vma_summary *v, enum thp_result *refusal)
{
	unsigned long haddr = ALIGN(vma->vm_start, HPAGE_PMD_SIZE);
	struct thp_req r = { .mm = req->mm, .pid = req->pid, .addr = haddr, .haddr = haddr };

	memset(v, 0, sizeof(*v));
	if (haddr >= (vma->vm_end & HPAGE_PMD_MASK))
		return false;
	*refusal = thp_req_check_vma(&r, vma);
	return true;
}

/*
 * "explain PID": a line for every VMA that covers at least one whole PMD
 * range, in address order. Like scan, the mmap read lock is let go every
 * THP_SCAN_BATCH steps (thp_scan_step()), also inside a VMA: the walk then
 * finds its place again by address and counts on into the same line if the
 * VMA there still starts where it did; if not (it changed meanwhile), the
 * counts so far are dropped and the rest of it gets a line of its own.
 */
static enum thp_result thp_explain_process(struct thp_req *req)
{
	enum thp_result refusal = THP_SUCCEEDED;
	struct mm_struct *mm = req->mm;
	unsigned long addr = 0, start = 0, haddr, end;
	struct thp_vma_summary *v;
	struct vm_area_struct *vma;
	unsigned int steps = 0;
	bool open = false, truncated = false;
	pmd_t *pmd;

	v = kzalloc(sizeof(*v), GFP_KERNEL);
	if (!v)
		return thp_req_fail(req, THP_NO_MEMORY, "explain summary");
	if (mmap_read_lock_killable(mm)) {
		kfree(v);
		return thp_req_fail(req, THP_INTERRUPTED, "waiting for mmap_lock");
	}
	while ((vma = find_vma(mm, addr))) {
		bool breathe = false;

		if (!open || vma->vm_start != start)
			open = thp_explain_vma_open(req, vma, v, &refusal);
		start = vma->vm_start;
		haddr = ALIGN(max(addr, vma->vm_start), HPAGE_PMD_SIZE);
		end = vma->vm_end & HPAGE_PMD_MASK;
		addr = vma->vm_end;
		while (open && refusal == THP_SUCCEEDED &&
		       (haddr = thp_scan_next_pmd(mm, haddr, end, &pmd)) < end) {
			thp_explain_pmd(req, vma, haddr, pmd, v);
			haddr += HPAGE_PMD_SIZE;
			/* at the VMA's end the line comes first: it breathes below */
			if (haddr < end && thp_scan_step(mm, &steps)) {
				/* go on from here, looking the VMA up again */
				addr = haddr;
				breathe = true;
				break;
			}
		}
		if (!breathe) {
			size_t used = seq_buf_used(&req->out);

			if (open)
				thp_explain_vma_line(req, vma, v, refusal);
			open = false;
			if (seq_buf_has_overflowed(&req->out)) {
				/* whole lines only: drop the one cut short */
				req->out.len = used;
				truncated = true;
				break;
			}
			breathe = thp_scan_step(mm, &steps);
		}
		/* the lock is let go only here, where no VMA pointer is kept */
		if (breathe && !thp_scan_breathe(mm)) {
			kfree(v);
			return thp_req_fail(req, THP_INTERRUPTED, "fatal signal");
		}
	}
	mmap_read_unlock(mm);
	kfree(v);
	if (truncated)
		return thp_req_fail(req, THP_NO_MEMORY, "output truncated at %u bytes",
				    THP_TEXT_MAX);
	req->result = THP_SUCCEEDED;
	return req->result;
}

/**
 * thp_explain() - "explain": report on a range or a process, change nothing
 * @req: a request holding the target mm; req->all for a whole process
 *
 * The text goes to req->out. For a range, the request succeeds whatever a
 * collapse would do (that is the line's "would"); it fails only when there
 * is nothing to explain (no process, no access, interrupted).
 *
 * Context: process context, may sleep; takes the mmap read lock.
 * Return: the result, also in req->result.
 */
enum thp_result thp_explain(struct thp_req *req)
{
	struct vm_area_struct *vma;

	if (req->all)
		return thp_explain_process(req);
	/* held on success and on a refusal of the VMA: explain that too */
	thp_req_lock_vma(req, false, &vma);
	if (!req->mmap_locked)
		return req->result;
	if (!vma)
		vma = vma_lookup(req->mm, req->addr);
	thp_explain_range(req, vma);
	thp_req_unlock(req);
	req->result = THP_SUCCEEDED;
	req->detail[0] = '\0';
	return req->result;
}
