//! After warm-up, a DDPG update and a PPO epoch allocate nothing: every buffer lives in a
//! workspace that is reused. A counting allocator (this test binary's own, so no other test
//! runs beside it) counts heap allocations on every thread while the learners step.

use nc_ncap::bench::{DdpgWork, PpoWork};
use nc_ncap::precision::Real;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

#[allow(unsafe_code)]
// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// heap allocations made by `steps` calls of `f`
fn allocations(steps: usize, mut f: impl FnMut()) -> usize {
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    for _ in 0..steps {
        f();
    }
    COUNTING.store(false, Ordering::SeqCst);
    ALLOCATIONS.load(Ordering::SeqCst)
}

fn learners_do_not_allocate<T: Real>() {
    let mut ddpg = DdpgWork::<T>::new().unwrap();
    let mut ppo = PpoWork::<T>::new().unwrap();
    // warm-up: workspaces, faer's packing buffers and rayon's threads come into being
    for _ in 0..3 {
        ddpg.step();
        ppo.epoch();
    }
    // the check can fail: a fresh vector per step is counted
    assert!(allocations(3, || drop(vec![T::zero(); 10])) >= 3);
    let n = allocations(20, || {
        ddpg.step();
    });
    assert_eq!(
        n,
        0,
        "{n} allocations in 20 DDPG updates ({:?})",
        T::PRECISION
    );
    let n = allocations(5, || {
        ppo.epoch();
    });
    assert_eq!(n, 0, "{n} allocations in 5 PPO epochs ({:?})", T::PRECISION);
}

#[test]
fn ddpg_updates_and_ppo_epochs_allocate_nothing_after_warm_up() {
    learners_do_not_allocate::<f32>();
    learners_do_not_allocate::<f64>();
}
