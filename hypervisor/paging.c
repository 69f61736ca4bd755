/* The monitor's view of the guest's page tables. The guest's tables are the truth it runs on (no shadow
 * tables: the monitor shares the guest's address space), so the view is a checker: a copy of every page the
 * guest uses as a page table (AllocatePage hints, pin hints, a walk from CR3), changed only through the
 * contract (vmware: the queued async updates; xen: mmu_update). At every sync point the copies are compared
 * with the guest's pages; a difference the contract should have carried is a violation naming the entry's
 * physical address, its old and new value and the last ROM calls. The CPU's own accessed and dirty bits are
 * not the guest's changes and are taken silently. */
#include "monitor.h"

extern u32 mon_pt[];

struct view { u32 pfn; u8 level; u8 used; u16 slot; };
static struct view views[VIEW_POOL_PAGES];
static u16 free_slots[VIEW_POOL_PAGES];
static u32 free_count;
static int pool_ready;
u32 pt_count;

#define PTE_P 0x01
#define PTE_A 0x20
#define PTE_D 0x40
#define PDE_PS 0x80
#define INTERESTING 0xc7    /* VMware's test: P, R/W, U/S, D, PS */

void *map_phys(int slot, u32 pa) {
    u32 va = MAP_SLOT_BASE + slot * 0x1000;
    u32 want = (pa & ~0xfffu) | 3;
    u32 *pte = &mon_pt[(va - MON_VIRT) >> 12];
    if (*pte != want) { *pte = want; invlpg(va); }
    return (void *)(va + (pa & 0xfff));
}

static u32 *view_page(struct view *v) { return map_phys(0, VIEW_POOL_PHYS + v->slot * 0x1000u); }
static u32 *guest_page(u32 pfn) { return map_phys(1, pfn << 12); }

static void forget_suspects(u32 pfn);
static void check_loaded(struct frame *f, u32 pd_pfn, const char *why);

static struct view *find(u32 pfn) {
    for (u32 i = 0; i < VIEW_POOL_PAGES; i++) if (views[i].used && views[i].pfn == pfn) return &views[i];
    return 0;
}

int pt_tracked(u32 pfn) { return find(pfn) != 0; }

static struct view *track(u32 pfn, int level) {
    if (!pool_ready) {
        for (u32 i = 0; i < VIEW_POOL_PAGES; i++) free_slots[i] = (u16)(VIEW_POOL_PAGES - 1 - i);
        free_count = VIEW_POOL_PAGES;
        pool_ready = 1;
    }
    struct view *v = find(pfn);
    if (!v) {
        if (!free_count) fail(0, "more than %u page-table pages", VIEW_POOL_PAGES);
        for (u32 i = 0; i < VIEW_POOL_PAGES; i++) if (!views[i].used) { v = &views[i]; break; }
        v->used = 1;
        v->pfn = pfn;
        v->slot = free_slots[--free_count];
        pt_count++;
        if (pt_count > stat_tracked_max) stat_tracked_max = pt_count;
    }
    v->level = (u8)level;
    forget_suspects(pfn);
    /* The page's content now is what the guest gave it before it became a page table. */
    u32 copy[1024];
    memcpy(copy, guest_page(pfn), 4096);
    memcpy(view_page(v), copy, 4096);
    return v;
}

void pt_track(u32 pfn, int level, const char *why) { (void)why; track(pfn, level); }

/* AllocatePage(L2 | CLONE): Linux copied `count` kernel entries from `clone_pfn` before the hint. The copy
 * must agree with the monitor's view of the source. */
void pt_track_clone(u32 pfn, u32 clone_pfn, u32 start, u32 count) {
    struct view *v = track(pfn, 2), *src = find(clone_pfn);
    if (!src || start + count > 1024) return;
    u32 from[1024];
    memcpy(from, view_page(src), 4096);
    u32 *mine = view_page(v);
    for (u32 i = start; i < start + count; i++) {
        if ((mine[i] & ~(PTE_A | PTE_D)) != (from[i] & ~(PTE_A | PTE_D))) {
            violation(0, "AllocatePage", "clone of pfn %x entry %u is %x in the new page directory %x, %x in the source", clone_pfn, i, mine[i], pfn, from[i]);
            mine[i] = from[i];
        }
    }
}

/* Walk a page directory: it and the page tables it names become tracked (pages the guest set up before it
 * could tell us, such as Linux's boot tables). */
void pt_walk_cr3(u32 cr3, const char *why) {
    u32 pd = cr3 >> 12;
    check_loaded(0, pd, why);
    if (!find(pd)) { track(pd, 2); stat_walked++; }
    u32 entries[1024];
    memcpy(entries, guest_page(pd), 4096);
    for (u32 i = 0; i < 1024; i++) {
        u32 e = entries[i];
        if (!(e & PTE_P) || (e & PDE_PS)) continue;
        if ((e >> 12) >= (GUEST_RAM_END >> 12)) continue;   /* the monitor's own table */
        if (!find(e >> 12)) { track(e >> 12, 1); stat_walked++; }
    }
    (void)why;
}

/* One entry's change through the contract (an applied queue entry, an mmu_update): the view follows. */
void pt_apply(struct frame *f, u32 pa, u32 value, const char *how) {
    struct view *v = find(pa >> 12);
    if (!v) {
        violation(f, how, "update of physical %x (value %x), which is not a page-table page", pa, value);
        return;
    }
    view_page(v)[(pa & 0xfff) >> 2] = value;
    /* A new page table below a directory entry is tracked from here on. */
    if (v->level == 2 && (value & PTE_P) && !(value & PDE_PS) && (value >> 12) < (GUEST_RAM_END >> 12) && !find(value >> 12)) {
        track(value >> 12, 1);
        stat_walked++;
    }
}

static int hardware_change(u32 old, u32 now) {
    return ((old ^ now) & ~(PTE_A | PTE_D)) == 0 && (now & old) == old;
}

static int interesting(u32 old, u32 now) {
    return ((old | now) & PTE_P) && ((old ^ now) & INTERESTING);
}

/* A change the contract has not carried yet. The ROM stores an entry before it queues the update (VMware's
 * order), so a sync point that falls between the two — the queue flushed because it was full, an interrupt
 * whose handler flushes the TLB — sees a change whose update is still on its way. A change is therefore a
 * violation when it is still unaccounted for at the next sync point (or when its page is released, or at the
 * end).
 *
 * One exception is Linux's own: while it tears an address space down it clears page-table entries natively
 * ("paravirt does not care about updates", ptep_get_and_clear_full in arch/x86/include/asm/pgtable.h), then
 * releases the page tables. An entry cleared to 0 in a page table may therefore wait until its page is released
 * (or the run ends); loading an address space that still uses such a page is a violation. */
#define MAX_SUSPECTS 512
static struct { u32 pa, old, now; const char *where; u8 cleared; } suspects[MAX_SUSPECTS];
static u32 suspect_count;
u32 stat_teardown_clears;

enum sync_mode { SYNC_POINT, SYNC_RELEASE, SYNC_END };

static int suspect_index(u32 pa) {
    for (u32 i = 0; i < suspect_count; i++) if (suspects[i].pa == pa) return (int)i;
    return -1;
}

static void forget_suspects(u32 pfn) {
    u32 kept = 0;
    for (u32 i = 0; i < suspect_count; i++) if ((suspects[i].pa >> 12) != pfn) suspects[kept++] = suspects[i];
    suspect_count = kept;
}

static void report_change(struct frame *f, u32 pa, u32 old, u32 cur, const char *first, const char *where) {
    violation(f, "page table", "the entry at physical %x changed from %x to %x without %s (first seen at %s, still at %s)", pa, old, cur,
              vcpu.kind == HV_XEN ? "mmu_update" : "a queued update", first, where);
}

static void compare(struct frame *f, struct view *v, const char *where, enum sync_mode mode) {
    u32 now[1024];
    memcpy(now, guest_page(v->pfn), 4096);
    u32 *mine = view_page(v);
    for (u32 i = 0; i < 1024; i++) {
        u32 old = mine[i], cur = now[i], pa = (v->pfn << 12) + i * 4;
        if (old == cur) continue;
        /* The CPU may have set A or D since the view last changed; the ROM sees those bits as part of the old
         * entry (it tests what it exchanged out), so the check does too. */
        u32 seen = old | (cur & (PTE_A | PTE_D));
        if (hardware_change(old, cur) || !(vcpu.kind == HV_XEN || interesting(seen, cur))) { mine[i] = cur; continue; }
        int k = suspect_index(pa);
        if (cur == 0 && v->level == 1) {
            if (mode != SYNC_POINT) { stat_teardown_clears++; mine[i] = cur; continue; }
            if (k < 0 && suspect_count < MAX_SUSPECTS) {
                suspects[suspect_count].pa = pa; suspects[suspect_count].old = old; suspects[suspect_count].now = cur;
                suspects[suspect_count].where = where; suspects[suspect_count++].cleared = 1;
            }
            if (k >= 0 || suspect_count < MAX_SUSPECTS) continue;
        }
        if (k < 0 && mode == SYNC_POINT && suspect_count < MAX_SUSPECTS) {
            suspects[suspect_count].pa = pa; suspects[suspect_count].old = old; suspects[suspect_count].now = cur;
            suspects[suspect_count].where = where; suspects[suspect_count++].cleared = 0;
            continue;           /* the view keeps the old value until the update arrives or time is up */
        }
        report_change(f, pa, old, cur, k >= 0 ? suspects[k].where : where, where);
        mine[i] = cur;
    }
}

static void sweep(struct frame *f, const char *where, enum sync_mode mode) {
    for (u32 i = 0; i < VIEW_POOL_PAGES; i++) if (views[i].used) compare(f, &views[i], where, mode);
    /* Suspects that the contract has since accounted for (the view now agrees) are done. */
    u32 kept = 0;
    for (u32 i = 0; i < suspect_count; i++) {
        struct view *v = find(suspects[i].pa >> 12);
        if (!v) continue;
        u32 viewed = view_page(v)[(suspects[i].pa & 0xfff) >> 2];
        u32 cur = *(volatile u32 *)map_phys(1, suspects[i].pa);
        if (viewed != cur) suspects[kept++] = suspects[i];
    }
    suspect_count = kept;
}

/* An address space is loaded: none of its page tables may hold entries cleared without the contract. */
static void check_loaded(struct frame *f, u32 pd_pfn, const char *why) {
    u32 entries[1024];
    memcpy(entries, guest_page(pd_pfn), 4096);
    for (u32 i = 0; i < suspect_count; i++) {
        if (!suspects[i].cleared) continue;
        for (u32 e = 0; e < 1024; e++) {
            if ((entries[e] & PTE_P) && !(entries[e] & PDE_PS) && (entries[e] >> 12) == (suspects[i].pa >> 12)) {
                violation(f, "page table", "the entry at physical %x was cleared (from %x) without %s, and its page table is in use again (%s)",
                          suspects[i].pa, suspects[i].old, vcpu.kind == HV_XEN ? "mmu_update" : "a queued update", why);
                struct view *v = find(suspects[i].pa >> 12);
                if (v) view_page(v)[(suspects[i].pa & 0xfff) >> 2] = 0;
                break;
            }
        }
    }
}

void pt_sync(struct frame *f, const char *where) { sweep(f, where, SYNC_POINT); }

void pt_release(struct frame *f, u32 pfn) {
    struct view *v = find(pfn);
    if (!v) return;
    compare(f, v, "ReleasePage", SYNC_RELEASE);
    forget_suspects(pfn);
    v->used = 0;
    free_slots[free_count++] = v->slot;
    pt_count--;
}

void pt_final_check(void) {
    if (vcpu.kind == HV_VMWARE) vmware_flush_queue_at_end();
    sweep(0, "the end", SYNC_END);
}
