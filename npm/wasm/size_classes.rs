//! The module's memory allocator: blocks in power-of-two size classes, a free list per
//! class, new blocks cut from the end of memory. It is a fraction of the size of a general
//! allocator (the module is what a page downloads), and it fits how the core allocates:
//! span values, attribute lists and request bodies of a few sizes that come and go
//! batch after batch, so a freed block is soon taken again by one of its class.
//!
//! What it costs: a block may be up to twice its request (the rounding to a power of two),
//! and memory a class has used stays with that class — the module's memory is never
//! returned to the browser anyway (WebAssembly memory only grows). Single-threaded: the
//! module has no threads.

use std::alloc::Layout;
use std::ptr;

/// Classes from 16 bytes (room for the free list's link, 16-byte aligned) to 2 GiB.
const SMALLEST: u32 = 4;
const CLASSES: usize = 32 - SMALLEST as usize;

/// Where new memory comes from: `grow(bytes)` adds at least `bytes` and returns the new
/// region as (start, end), or `None` when there is no more.
pub(crate) trait Memory {
    fn grow(&mut self, bytes: usize) -> Option<(usize, usize)>;
}

/// The allocator's state over a [`Memory`].
pub(crate) struct SizeClasses<M> {
    memory: M,
    /// Per class, the first free block; each free block's first word is the next.
    free: [*mut u8; CLASSES],
    /// The unused end of the last region: `top..end`.
    top: usize,
    end: usize,
}

/// The class of a request, or `None` when no class holds it.
fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(1 << SMALLEST);
    let class = size.checked_next_power_of_two()?.trailing_zeros() - SMALLEST;
    ((class as usize) < CLASSES).then_some(class as usize)
}

impl<M: Memory> SizeClasses<M> {
    pub(crate) const fn new(memory: M) -> SizeClasses<M> {
        SizeClasses {
            memory,
            free: [ptr::null_mut(); CLASSES],
            top: 0,
            end: 0,
        }
    }

    /// A block for `layout`, or null when memory is exhausted.
    pub(crate) fn alloc(&mut self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout) else {
            return ptr::null_mut();
        };
        let head = self.free[class];
        // A free block is aligned for what it was cut for; a request aligned more strictly
        // (beyond 16 bytes, rare) takes a new block instead.
        if !head.is_null() && (head as usize).is_multiple_of(layout.align()) {
            // SAFETY: a free block is a block of this class that `dealloc` linked, and its
            // first word holds the next free block.
            self.free[class] = unsafe { head.cast::<*mut u8>().read() };
            return head;
        }
        self.cut(16 << class, layout.align().max(16))
    }

    /// Cuts a new block of `size` bytes aligned to `align` from the end of memory.
    fn cut(&mut self, size: usize, align: usize) -> *mut u8 {
        let fits = |top: usize, end: usize| {
            let start = top.checked_next_multiple_of(align)?;
            (start.checked_add(size)? <= end).then_some(start)
        };
        let start = match fits(self.top, self.end) {
            Some(start) => start,
            None => {
                let Some((start, end)) = size
                    .checked_add(align)
                    .and_then(|bytes| self.memory.grow(bytes))
                else {
                    return ptr::null_mut();
                };
                // The new region continues the last one, or starts afresh.
                let top = if start == self.end { self.top } else { start };
                let Some(at) = fits(top, end) else {
                    return ptr::null_mut();
                };
                self.end = end;
                at
            }
        };
        self.top = start + size;
        start as *mut u8
    }

    /// Gives `block`, allocated for `layout`, back to its class.
    ///
    /// # Safety
    /// `block` was returned by [`alloc`](Self::alloc) for `layout` (or a layout of the same
    /// class) and is not used again.
    pub(crate) unsafe fn dealloc(&mut self, block: *mut u8, layout: Layout) {
        if let Some(class) = class_of(layout) {
            // SAFETY: the block is at least 16 bytes and aligned to 16, ours again.
            unsafe { block.cast::<*mut u8>().write(self.free[class]) };
            self.free[class] = block;
        }
    }

    /// `block` resized to `new_size`: the same block while the class stays the same.
    ///
    /// # Safety
    /// As for [`dealloc`](Self::dealloc); `new_size` is valid for `layout`'s alignment.
    pub(crate) unsafe fn realloc(
        &mut self,
        block: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        // SAFETY: the caller's promise (a valid size for the alignment).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let class = class_of(new_layout);
        if class.is_some() && class == class_of(layout) {
            return block;
        }
        let moved = self.alloc(new_layout);
        if !moved.is_null() {
            // SAFETY: both blocks are ours, distinct, and hold at least the smaller size.
            unsafe {
                ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                self.dealloc(block, layout);
            }
        }
        moved
    }
}

#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::ModuleAllocator;

#[cfg(target_arch = "wasm32")]
mod wasm {
    use std::alloc::{GlobalAlloc, Layout};
    use std::cell::UnsafeCell;

    use super::{Memory, SizeClasses};

    /// The module's linear memory, grown by whole 64 KiB pages, at least 256 KiB at a time
    /// (fewer grows: each one detaches JavaScript's views of the memory).
    pub(crate) struct LinearMemory;

    impl Memory for LinearMemory {
        fn grow(&mut self, bytes: usize) -> Option<(usize, usize)> {
            const PAGE: usize = 65536;
            let pages = bytes.div_ceil(PAGE).max(4);
            let first = core::arch::wasm32::memory_grow(0, pages);
            (first != usize::MAX).then(|| (first * PAGE, (first + pages) * PAGE))
        }
    }

    /// [`SizeClasses`] as the global allocator.
    pub(crate) struct ModuleAllocator(UnsafeCell<SizeClasses<LinearMemory>>);

    // SAFETY: the module is single-threaded (built without the `atomics` feature).
    unsafe impl Sync for ModuleAllocator {}

    impl ModuleAllocator {
        pub(crate) const fn new() -> ModuleAllocator {
            ModuleAllocator(UnsafeCell::new(SizeClasses::new(LinearMemory)))
        }
    }

    // SAFETY: one thread, and no call re-enters the allocator, so each `&mut` is unique.
    unsafe impl GlobalAlloc for ModuleAllocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            unsafe { (*self.0.get()).alloc(layout) }
        }

        unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
            unsafe { (*self.0.get()).dealloc(block, layout) }
        }

        unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            unsafe { (*self.0.get()).realloc(block, layout, new_size) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Memory from a fixed arena, in regions of at least `step` bytes; `gap` leaves a hole
    /// between regions now and then, as another grower of memory would.
    struct Arena {
        bytes: Vec<u128>,
        used: usize,
        step: usize,
        grows: usize,
    }

    impl Arena {
        fn new(size: usize, step: usize) -> Arena {
            Arena {
                bytes: vec![0; size / 16],
                used: 0,
                step,
                grows: 0,
            }
        }
    }

    impl Memory for Arena {
        fn grow(&mut self, bytes: usize) -> Option<(usize, usize)> {
            self.grows += 1;
            if self.grows.is_multiple_of(3) {
                self.used += 48; // a hole: the next region does not continue this one
            }
            let size = bytes.max(self.step);
            let base = self.bytes.as_mut_ptr() as usize;
            let start = base + self.used;
            if self.used + size > self.bytes.len() * 16 {
                return None;
            }
            self.used += size;
            Some((start, start + size))
        }
    }

    /// A small deterministic generator (xorshift), so a failure repeats.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    struct Live {
        block: *mut u8,
        layout: Layout,
        fill: u8,
    }

    fn check(live: &Live) {
        let bytes = unsafe { std::slice::from_raw_parts(live.block, live.layout.size()) };
        assert!(
            bytes.iter().all(|&byte| byte == live.fill),
            "a block's bytes changed"
        );
    }

    #[test]
    fn blocks_are_aligned_disjoint_keep_their_bytes_and_are_reused() {
        let mut allocator = SizeClasses::new(Arena::new(64 << 20, 4096));
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        let mut live: Vec<Live> = Vec::new();
        // Per class, the most blocks live at once: with reuse, the memory taken never
        // exceeds those blocks (plus what each region's alignment and end leave unused).
        let mut live_in_class = [0usize; CLASSES];
        let mut peak_in_class = [0usize; CLASSES];
        let mut count = |layout: Layout, change: isize| {
            let class = class_of(layout).unwrap();
            live_in_class[class] = live_in_class[class].checked_add_signed(change).unwrap();
            peak_in_class[class] = peak_in_class[class].max(live_in_class[class]);
        };
        for step in 0..60_000u32 {
            let action = random.next() % 10;
            // As many allocations as frees: the live set wanders, as the core's does.
            if action < 4 || live.is_empty() {
                let size = match random.next() % 8 {
                    0 => 0,
                    1..=5 => (random.next() % 200) as usize,
                    6 => (random.next() % 5000) as usize,
                    _ => (random.next() % 70_000) as usize,
                };
                let align = 1 << (random.next() % 7); // up to 64: beyond the blocks' 16
                let layout = Layout::from_size_align(size, align).unwrap();
                let block = allocator.alloc(layout);
                assert!(!block.is_null(), "out of memory at step {step}");
                assert_eq!(block as usize % align, 0, "misaligned for {layout:?}");
                let fill = step as u8;
                unsafe { ptr::write_bytes(block, fill, size) };
                count(layout, 1);
                live.push(Live {
                    block,
                    layout,
                    fill,
                });
            } else if action < 8 {
                let gone = live.swap_remove((random.next() % live.len() as u64) as usize);
                check(&gone);
                unsafe { allocator.dealloc(gone.block, gone.layout) };
                count(gone.layout, -1);
            } else {
                let index = (random.next() % live.len() as u64) as usize;
                let old = &live[index];
                check(old);
                let new_size = (random.next() % 9000) as usize;
                let block = unsafe { allocator.realloc(old.block, old.layout, new_size) };
                assert!(!block.is_null());
                let layout = Layout::from_size_align(new_size, old.layout.align()).unwrap();
                assert_eq!(block as usize % layout.align(), 0);
                let kept = old.layout.size().min(new_size);
                let bytes = unsafe { std::slice::from_raw_parts(block, kept) };
                assert!(
                    bytes.iter().all(|&byte| byte == old.fill),
                    "realloc lost bytes"
                );
                let fill = step as u8;
                unsafe { ptr::write_bytes(block, fill, new_size) };
                count(old.layout, -1);
                count(layout, 1);
                live[index] = Live {
                    block,
                    layout,
                    fill,
                };
            }
            if step % 5000 == 0 {
                let mut spans: Vec<(usize, usize)> = live
                    .iter()
                    .map(|live| {
                        let class = class_of(live.layout).unwrap();
                        (live.block as usize, live.block as usize + (16 << class))
                    })
                    .collect();
                spans.sort();
                assert!(
                    spans.windows(2).all(|pair| pair[0].1 <= pair[1].0),
                    "two live blocks overlap"
                );
                live.iter().for_each(check);
            }
        }
        let blocks: usize = (0..CLASSES)
            .map(|class| peak_in_class[class] << (class + 4))
            .sum();
        let memory = &allocator.memory;
        let slack = memory.grows * (memory.step + 48 + 64 + (1 << 17));
        assert!(
            memory.used <= blocks + slack,
            "{} bytes taken for {blocks} bytes of blocks at most: freed blocks are not reused",
            memory.used
        );
    }

    #[test]
    fn a_freed_block_is_taken_again_by_its_class() {
        let mut allocator = SizeClasses::new(Arena::new(1 << 20, 4096));
        let layout = Layout::from_size_align(100, 8).unwrap();
        let first = allocator.alloc(layout);
        unsafe { allocator.dealloc(first, layout) };
        // 100 and 120 bytes share the 128-byte class.
        let again = allocator.alloc(Layout::from_size_align(120, 8).unwrap());
        assert_eq!(first, again);
        // Growing within the class keeps the block; past it moves it.
        let same =
            unsafe { allocator.realloc(again, Layout::from_size_align(120, 8).unwrap(), 128) };
        assert_eq!(same, again);
        let moved =
            unsafe { allocator.realloc(same, Layout::from_size_align(128, 8).unwrap(), 129) };
        assert_ne!(moved, same);
    }

    #[test]
    fn exhausted_memory_and_impossible_sizes_give_null_not_a_panic() {
        let mut allocator = SizeClasses::new(Arena::new(1 << 16, 4096));
        let big = Layout::from_size_align(1 << 20, 8).unwrap();
        assert!(allocator.alloc(big).is_null());
        let huge = Layout::from_size_align(isize::MAX as usize - 7, 8).unwrap();
        assert!(allocator.alloc(huge).is_null());
        // What is left still serves small requests.
        assert!(!allocator
            .alloc(Layout::from_size_align(64, 8).unwrap())
            .is_null());
    }
}
