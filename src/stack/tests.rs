use super::*;

fn acquire_guarded_for_test(fresh: bool) -> GuardedStack {
    let kind = if fresh {
        StackKind::Fresh
    } else {
        StackKind::Guarded
    };
    match acquire(DEFAULT_STACK_SIZE, kind, 0, 1)
        .unwrap()
        .stack
        .into_parts()
    {
        Ok(s) => s,
        Err(_) => unreachable!(),
    }
}

#[test]
fn carved_stacks_have_intact_canaries_and_are_reused() {
    let a = acquire(16 * 1024, StackKind::Unguarded, 0, 1)
        .unwrap()
        .stack;
    let canary = a.canary().unwrap();
    canary.check(a.usable());
    assert_eq!(a.guard(), (0, 0));
    let bottom = a.bottom();
    release(a);
    let b = acquire(16 * 1024, StackKind::Unguarded, 0, 1)
        .unwrap()
        .stack;
    assert_eq!(b.bottom(), bottom, "the freed carved stack comes back");
    release(b);
}

#[test]
fn sizes_round_up_to_whole_pages() {
    let page = page_size();
    assert_eq!(round_to_pages(0), Some(MIN_STACK_SIZE));
    assert_eq!(round_to_pages(1), Some(MIN_STACK_SIZE));
    assert_eq!(
        round_to_pages(MIN_STACK_SIZE + 1),
        Some(MIN_STACK_SIZE + page)
    );
    assert_eq!(round_to_pages(usize::MAX), None);
    assert!(checked_size(usize::MAX - 4095)
        .unwrap_err()
        .to_string()
        .contains("smaller stack size"));
}

/// Takes a guarded stack and gives it back: its bottom, and how many
/// stacks the pool held after that.
fn release_a_fresh_one() -> (usize, usize) {
    let a = acquire_guarded_for_test(false);
    let addr = a.bottom();
    release(Stack::guarded(a));
    (addr, pool::pooled())
}

#[test]
fn released_stacks_are_reused() {
    let (addr, before) = release_a_fresh_one();
    let b = acquire_guarded_for_test(false);
    assert_eq!(b.bottom(), addr, "the pooled stack comes back");
    assert_eq!(pool::pooled(), before - 1);
    release(Stack::guarded(b));
}

#[test]
fn a_burst_beyond_the_warm_stacks_stays_pooled_and_usable() {
    // More than the warm part of the pool (1,024 per size), all alive at
    // once, then released: the cold ones give their pages back but stay
    // mapped, so the next burst maps nothing new and can use every stack.
    const BURST: usize = 1_500;
    let before = pool::pooled();
    let stacks: Vec<GuardedStack> = (0..BURST)
        .map(|_| acquire_guarded_for_test(false))
        .collect();
    let mut addrs: Vec<usize> = stacks.iter().map(|s| s.bottom()).collect();
    for s in stacks {
        // SAFETY: `s` is a live guarded stack owned here with no coroutine
        // on it; the word just below its top is inside its usable range.
        unsafe { ((s.top() - 8) as *mut u64).write(7) };
        release(Stack::guarded(s));
    }
    assert_eq!(pool::pooled(), before + BURST);
    let again: Vec<GuardedStack> = (0..BURST)
        .map(|_| acquire_guarded_for_test(false))
        .collect();
    let mut reused: Vec<usize> = again.iter().map(|s| s.bottom()).collect();
    addrs.sort_unstable();
    reused.sort_unstable();
    assert_eq!(addrs.len(), reused.len());
    let fresh = reused
        .iter()
        .filter(|a| addrs.binary_search(a).is_err())
        .count();
    assert!(fresh <= before, "{fresh} stacks were mapped anew");
    for s in again {
        let top = (s.top() - 8) as *mut u64;
        // SAFETY: as above. The word holds 7 or, if the kernel took the
        // page back, 0: either way it is mapped and writable.
        let old = unsafe { top.read() };
        assert!(old == 7 || old == 0, "{old}");
        // SAFETY: as above.
        unsafe { top.write(8) };
        release(Stack::guarded(s));
    }
}

#[test]
fn fresh_stacks_are_zero_and_report_no_use() {
    let s = acquire_guarded_for_test(true);
    // SAFETY: `s` is a live guarded stack owned here, no coroutine runs on
    // it, and these are its usable bounds.
    assert_eq!(unsafe { high_water(s.bottom(), s.top()) }, 0);
    // SAFETY: writing inside the usable range of a live stack we own.
    unsafe { std::ptr::write_volatile((s.top() - 100) as *mut u8, 1) };
    // SAFETY: as above.
    let hw = unsafe { high_water(s.bottom(), s.top()) };
    assert!((100..=100 + 8).contains(&hw), "high water {hw}");
    let (lo, hi) = s.guard();
    assert_eq!(hi - lo, page_size());
    assert_eq!(hi, s.bottom());
}

#[test]
fn impossible_sizes_give_an_error_that_says_what_to_do() {
    let err = GuardedStack::map(round_to_pages(1 << 50).unwrap()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("could not map"), "{text}");
    assert!(text.contains("vm.max_map_count"), "{text}");
    assert_eq!(err.requested_size(), round_to_pages(1 << 50).unwrap());
}

#[test]
fn a_mapping_opens_only_its_own_range() {
    use mapping::{Access, Mapping, Reserve};
    let page = page_size();
    let m = Mapping::new(2 * page, Access::None, Reserve::Lazily).unwrap();
    m.open_read_write(page, page).unwrap();
    // SAFETY: the upper page of the live mapping was just opened for writing.
    unsafe { std::ptr::write_volatile((m.addr() + page) as *mut u8, 7) };
    let outside = std::panic::catch_unwind(|| m.open_read_write(page, 2 * page));
    assert!(outside.is_err(), "a range past the end is refused");
}

#[test]
fn a_burst_past_the_warm_stacks_gives_its_pages_back_on_schedule() {
    use super::size_class::{DECAY_EVERY, WARM_PER_SIZE};
    use std::time::Instant;
    assert_eq!(
        pool::decay_at(Instant::now()),
        None,
        "a fresh thread's pool"
    );
    let stacks: Vec<GuardedStack> = (0..WARM_PER_SIZE + 20)
        .map(|_| acquire_guarded_for_test(false))
        .collect();
    for s in stacks {
        release(Stack::guarded(s));
    }
    // A decay is pending, due within one period: an executor about to
    // sleep wakes by then.
    let due = pool::decay().expect("a decay is pending");
    assert!(due <= DECAY_EVERY, "{due:?}");
    // The first decay starts the watch; the next gives the idle ones back,
    // and then nothing is pending any more.
    let later = Instant::now() + 2 * DECAY_EVERY;
    assert_eq!(pool::decay_at(later), Some(DECAY_EVERY));
    assert_eq!(pool::decay_at(later + DECAY_EVERY), None);
    assert_eq!(pool::decay(), None);
    // Every stack is still pooled and usable.
    let again: Vec<GuardedStack> = (0..WARM_PER_SIZE + 20)
        .map(|_| acquire_guarded_for_test(false))
        .collect();
    for s in again {
        // SAFETY: a live guarded stack owned here with no coroutine on it;
        // the word below its top is inside its usable range.
        unsafe { ((s.top() - 8) as *mut u64).write(1) };
        release(Stack::guarded(s));
    }
}

#[test]
fn a_miss_of_the_hot_slot_pools_the_stack_it_held() {
    let (addr, before) = release_a_fresh_one();
    let Acquired {
        stack: other,
        layout,
        ..
    } = acquire(4 * DEFAULT_STACK_SIZE, StackKind::Guarded, 0, 1).unwrap();
    assert!(layout.usable >= 4 * DEFAULT_STACK_SIZE);
    assert_eq!(other.bottom(), layout.bottom);
    assert_eq!(pool::pooled(), before, "the 64 KiB stack went to the pool");
    let b = acquire_guarded_for_test(false);
    assert_eq!(b.bottom(), addr, "and comes back from there");
    release(other);
    release(Stack::guarded(b));
}
