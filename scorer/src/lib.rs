//! The scorer: computes each session's explainable score and similarity signature
