use super::*;

#[test]
fn sizes_round_up_to_whole_pages() {
    let page = page_size();
    assert_eq!(round_to_pages(0), page);
    assert_eq!(round_to_pages(1), page);
    assert_eq!(round_to_pages(page + 1), 2 * page);
}

#[test]
fn released_stacks_are_reused() {
    let a = acquire(DEFAULT_STACK_SIZE, false).unwrap();
    let addr = a.bottom();
    release(a);
    let before = pool::pooled();
    let b = acquire(DEFAULT_STACK_SIZE, false).unwrap();
    assert_eq!(b.bottom(), addr, "the pooled stack comes back");
    assert_eq!(pool::pooled(), before - 1);
    release(b);
}

#[test]
fn fresh_stacks_are_zero_and_report_no_use() {
    let s = acquire(DEFAULT_STACK_SIZE, true).unwrap();
    assert_eq!(high_water(s.bottom(), s.top()), 0);
    // SAFETY: writing inside the usable range of a live stack we own.
    unsafe { std::ptr::write_volatile((s.top() - 100) as *mut u8, 1) };
    let hw = high_water(s.bottom(), s.top());
    assert!((100..=100 + 8).contains(&hw), "high water {hw}");
    let (lo, hi) = s.guard();
    assert_eq!(hi - lo, page_size());
    assert_eq!(hi, s.bottom());
}

#[test]
fn impossible_sizes_give_an_error_that_says_what_to_do() {
    let err = GuardedStack::map(round_to_pages(1 << 50)).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("could not map"), "{text}");
    assert!(text.contains("vm.max_map_count"), "{text}");
    assert_eq!(err.requested_size(), round_to_pages(1 << 50));
}
