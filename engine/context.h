// Context: what a layer needs at run time besides its input: the oneDNN CPU
// engine and stream, the model's parameters and its random generator.
//
// oneDNN threading rule (Debian's oneDNN 2.6.3 is built with OpenMP and
// without concurrent primitive execution): a Context, and every primitive
// built with it, is used by one thread at a time: the thread that trains or
// predicts with the model. Parallelism comes from OpenMP inside primitives,
// sized by omp_set_num_threads() on that thread. The server gives each worker
// its own Model (and so its own Context).
//
// Owned by the Model; layers hold no reference to it between calls.
#ifndef PROFUNDO_ENGINE_CONTEXT_H_
#define PROFUNDO_ENGINE_CONTEXT_H_

#include "dnnl.hpp"
#include "engine/layers/dnnl_util.h"
#include "engine/parameters.h"
#include "engine/rng.h"

namespace profundo {

class Optimizer;

// Train: dropout active, batch norm on batch statistics.
// Inference: dropout off (MC dropout layers still active, as in Keras),
//            batch norm on moving statistics.
// McSample: every dropout layer active, batch norm on moving statistics.
enum class Mode { kTrain, kInference, kMcSample };

struct DnnlContext {
  DnnlContext() : engine(dnnl::engine::kind::cpu, 0), stream(engine) {
    WarmUpGemmKernels();  // once per process, not in a first step
  }
  dnnl::engine engine;
  dnnl::stream stream;
};

struct Context {
  DnnlContext& dnnl;
  ParameterStore& params;
  Rng& rng;
  // In a training step's backward whose optimizer allows early updates
  // (Optimizer::BeginEarlyUpdates): the optimizer, for layers that update
  // their parameters themselves; null otherwise.
  Optimizer* early_update = nullptr;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_CONTEXT_H_
