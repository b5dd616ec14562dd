//! The batch processor, shared by every backend: the pipeline that takes ended spans into
//! a bounded buffer (sampled out, refused or accepted, and counted), and the policy that
//! says when a batch is due (`batching`).

pub(crate) mod batching;
pub(crate) mod pipeline;
