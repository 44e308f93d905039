//! `concurrent.futures`: a thread-pool executor and its thread-safe future.
