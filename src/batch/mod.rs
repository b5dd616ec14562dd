//! The batch processor, shared by every backend: the pipeline that takes ended spans into
//! a bounded buffer (sampled out, refused or accepted, and counted), and the policy that
//! says when a batch is due (`batching`). Each batch goes through the transform rules as
//! it is taken (`crate::transform::Shaping`).

pub(crate) mod batching;
pub(crate) mod pipeline;
