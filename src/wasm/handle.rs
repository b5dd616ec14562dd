//! Objects JavaScript holds by their address in the module's memory — the core
//! (`CollectorCore`) and the npm API's intake — and their methods exported as plain
//! functions of numbers (`<prefix>_<method>(address, …)`). Every crossing passes and returns
//! numbers only (texts and lists go through the core's exchange buffer), so the methods need
//! no glue: `handles` in `js/exporter.js` makes JavaScript objects of them by the exports'
//! names, for the npm package's loader and for the Rust API's exporter alike.
//! (wasm-bindgen's exported classes wrapped each method in a borrow check and a null check,
//! 0.9 KB of the package's 28 KB download.)
//!
//! A freed or never-made handle is address 0 (JavaScript's `free` zeroes it first); every
//! method called on it returns the value its export names for that — the one that ends
//! what the caller was doing (no batch, no body, the export is done) — instead of reading
//! memory at 0.

/// An object JavaScript holds by address: made with [`into_address`](Self::into_address),
/// released once with the `<prefix>_free` export.
pub(crate) trait Handle: Sized + 'static {
    /// Moves `self` into the module's memory for JavaScript to hold; returns its address.
    fn into_address(self) -> usize {
        Box::into_raw(Box::new(self)) as usize
    }

    /// The object at `address`, none for address 0.
    ///
    /// The address is JavaScript's, which holds only those [`into_address`] returned, and
    /// zeroes a handle's before it frees it (`handles` in `js/exporter.js`); the module is
    /// single-threaded and the core never calls JavaScript back, so no other reference to
    /// the object is in use meanwhile.
    ///
    /// [`into_address`]: Self::into_address
    fn at<'a>(address: usize) -> Option<&'a Self> {
        // SAFETY: see above — a live address of a `Box<Self>` leaked by `into_address`.
        (address != 0).then(|| unsafe { &*(address as *const Self) })
    }

    /// Releases the object at `address` (nothing for address 0).
    fn release(address: usize) {
        if address != 0 {
            // SAFETY: as for `at`; JavaScript releases each address once (its handle's
            // address is zeroed first, so a second `free` passes 0).
            drop(unsafe { Box::from_raw(address as *mut Self) });
        }
    }
}

/// How an argument crosses: as the number WebAssembly passes (a JavaScript boolean arrives
/// as an i32, which may be any number if a caller errs: a `bool` parameter would make
/// anything but 0 and 1 undefined behaviour).
pub(crate) trait FromJs {
    /// The type the export takes.
    type Abi;
    fn from_js(abi: Self::Abi) -> Self;
}

impl FromJs for bool {
    type Abi = u32;
    fn from_js(abi: u32) -> bool {
        abi != 0
    }
}

macro_rules! crosses_as_itself {
    ($($type:ty),*) => {
        $(impl FromJs for $type {
            type Abi = $type;
            fn from_js(abi: $type) -> $type {
                abi
            }
        })*
    };
}
crosses_as_itself!(u32, i32, usize, f64);

/// Exports methods of a [`Handle`] type as `#[export_name]` functions taking the handle's
/// address first:
///
/// ```ignore
/// handle_exports! { CollectorCore, "collectorcore_free";
///     "collectorcore_room" fn room() -> usize, freed 0;
/// }
/// ```
///
/// `freed` is what a call on address 0 returns.
macro_rules! handle_exports {
    ($type:ty, $free:literal; $(
        $export:literal fn $method:ident($($argument:ident: $argument_type:ty),*) $(-> $returns:ty)?, freed $freed:expr;
    )*) => {
        /// The handle's exports (see `src/wasm/handle.rs`).
        #[allow(clippy::unused_unit)] // methods without a result return `()` when freed
        mod exports {
            #[allow(unused_imports)]
            use super::*;
            use $crate::platform::handle::{FromJs, Handle};

            /// Releases the object (JavaScript's `free`, or its handle collected).
            #[export_name = $free]
            pub extern "C" fn free(address: usize) {
                <$type>::release(address);
            }

            $(
                #[export_name = $export]
                pub extern "C" fn $method(
                    address: usize,
                    $($argument: <$argument_type as FromJs>::Abi),*
                ) $(-> $returns)? {
                    match <$type>::at(address) {
                        Some(handle) => handle.$method($(<$argument_type>::from_js($argument)),*),
                        None => $freed,
                    }
                }
            )*
        }
    };
}
pub(crate) use handle_exports;
