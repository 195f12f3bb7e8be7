// Micro-benchmarks of the engine's hot pieces (Google Benchmark):
//   BM_Sgemm                   dnnl_sgemm on square matrices (the peak)
//   BM_DenseForward/Backward   one Dense layer (+ ELU) per (batch, in, out)
//   BM_DenseBackwardToColumnSums  the first Dense after an input BN (column sums)
//   BM_WeightGradientRows      a split kernel half's gradient in blocks of
//                              four rows, as early updates compute it
//   BM_BatchNormTrain          batch norm forward + backward, training mode
//   BM_OptimizerStep           Nadam (also with a bf16 mirror) / Adam / SGD over
//                              the BN model's weights
//   BM_TrainStep               one whole training step of a bench spec
//   BM_McPredict               MC dropout (samples x inputs) of the dropout model
//   BM_Predict                 one forward pass of the dropout model per
//                              (rows, policy), as the server's batched Predict
// FLOP-rate counters ("GFLOP/s") count 2 flops per multiply-add. Times are
// wall-clock (UseRealTime): oneDNN and the loops run on OpenMP threads.
//
//   build-bench/bench/profundo-micro-bench --benchmark_filter=Dense
//
// Threads: OMP_NUM_THREADS (default 2). Not a test: ctest does not run it.
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "dnnl.h"
#include "engine/layers/layer.h"
#include "engine/layers/layer_factory.h"
#include "engine/layers/rows_product.h"
#include "engine/mixed_precision/policy.h"
#include "engine/model.h"
#include "engine/optimizers/optimizer.h"
#include "engine/spec_json.h"

namespace profundo::bench {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("PROFUNDO_SOURCE_DIR");
  return dir != nullptr ? dir : PROFUNDO_BENCH_SOURCE_DIR;
}

Tensor RandomTensor(Shape shape, Rng& rng, float lo = -1.f, float hi = 1.f) {
  Tensor t(std::move(shape));
  for (float& v : t.values()) v = lo + (hi - lo) * rng.Uniform();
  return t;
}

// One layer built from its JSON spec on a [n, in] input, with its own
// parameters and context.
struct LayerRig {
  LayerRig(const std::string& layer_json, int64_t n, int64_t in,
           DtypePolicy policy = DtypePolicy::kFloat32)
      : rng(7), ctx{dnnl, params, rng} {
    v1::Layer spec = ParseJson<v1::Layer>(layer_json).value();
    layer = MakeLayer(spec, "layer", "layer", policy).value();
    const Shape out = layer->Build({in}, params).value();
    params.Allocate();
    layer->Initialize(params, rng);
    src = RandomTensor({n, in}, rng);
    diff_dst = RandomTensor({n, out[0]}, rng);
  }
  DnnlContext dnnl;
  ParameterStore params;
  Rng rng;
  Context ctx;
  std::unique_ptr<Layer> layer;
  Tensor src, dst, diff_dst, diff_src;
};

std::string DenseJson(int64_t units) {
  return absl::StrCat("{\"dense\": {\"units\": ", units,
                      ", \"activation\": \"elu\", "
                      "\"kernel_initializer\": \"he_normal\"}}");
}

void SetFlops(benchmark::State& state, double flops_per_iteration) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      flops_per_iteration / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Sgemm(benchmark::State& state) {
  const int64_t n = state.range(0);
  std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n);
  for (auto _ : state) {
    dnnl_sgemm('N', 'N', n, n, n, 1.f, a.data(), n, b.data(), n, 0.f,
               c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  SetFlops(state, 2.0 * n * n * n);
}
BENCHMARK(BM_Sgemm)->Arg(256)->Arg(1024)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();

// Args: batch, fan_in, units, policy (0 float32, 1 mixed_bfloat16).
void DenseShapes(benchmark::internal::Benchmark* b) {
  for (int64_t policy : {0, 1}) {
    for (int64_t n : {32, 256}) {
      b->Args({n, 784, 300, policy})->Args({n, 300, 100, policy})
          ->Args({n, 100, 10, policy});
    }
    b->Args({3200, 784, 300, policy});  // an MC pass: 100 samples x 32 inputs
  }
}

DtypePolicy PolicyArg(const benchmark::State& state) {
  return state.range(3) ? DtypePolicy::kMixedBfloat16 : DtypePolicy::kFloat32;
}

void BM_DenseForward(benchmark::State& state) {
  const int64_t n = state.range(0), in = state.range(1), out = state.range(2);
  LayerRig rig(DenseJson(out), n, in, PolicyArg(state));
  for (auto _ : state) {
    rig.layer->Forward(rig.src, &rig.dst, Mode::kTrain, rig.ctx);
  }
  SetFlops(state, 2.0 * n * in * out);
}
BENCHMARK(BM_DenseForward)->Apply(DenseShapes)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_DenseBackward(benchmark::State& state) {
  const int64_t n = state.range(0), in = state.range(1), out = state.range(2);
  LayerRig rig(DenseJson(out), n, in, PolicyArg(state));
  rig.layer->Forward(rig.src, &rig.dst, Mode::kTrain, rig.ctx);
  for (auto _ : state) {
    rig.layer->Backward(rig.src, rig.dst, rig.diff_dst, &rig.diff_src, rig.ctx);
  }
  SetFlops(state, 4.0 * n * in * out);  // weights and data
}
BENCHMARK(BM_DenseBackward)->Apply(DenseShapes)->Unit(benchmark::kMicrosecond)->UseRealTime();

// The first Dense after an input BatchNormalization: weights, bias and the
// column sums of diff_src (Layer::BackwardToColumnSums) instead of diff_src.
void BM_DenseBackwardToColumnSums(benchmark::State& state) {
  const int64_t n = state.range(0), in = state.range(1), out = state.range(2);
  LayerRig rig(DenseJson(out), n, in, PolicyArg(state));
  rig.layer->Forward(rig.src, &rig.dst, Mode::kTrain, rig.ctx);
  ColumnSums sums;
  for (auto _ : state) {
    rig.layer->BackwardToColumnSums(rig.src, rig.dst, rig.diff_dst, &sums,
                                    rig.ctx);
  }
  SetFlops(state, 2.0 * n * in * out + 2.0 * in * out);
}
BENCHMARK(BM_DenseBackwardToColumnSums)
    ->Args({32, 784, 300, 0})->Args({256, 784, 300, 0})
    ->Args({32, 784, 300, 1})->Args({256, 784, 300, 1})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

// One thread: the gradient of kernel rows [0, fan_in / 2) (one half of a
// split kernel), block by block of kWeightGradientBlockRows rows into the
// same L1 block, as SplitInnerProduct::BackwardWeightsByBlocks runs it
// (without the consumer of each block). Args: batch, fan_in, units.
void BM_WeightGradientRows(benchmark::State& state) {
  const int64_t n = state.range(0), in = state.range(1), out = state.range(2);
  const int64_t half = in / 2;
  std::vector<float> src(n * in, 0.5f), diff(n * out, 0.25f);
  std::vector<float> block(kWeightGradientBlockRows * out);
  for (auto _ : state) {
    for (int64_t r = 0; r < half; r += kWeightGradientBlockRows) {
      WeightGradientRows(src.data() + r, in, diff.data(), n, out,
                         std::min(kWeightGradientBlockRows, half - r),
                         block.data());
      benchmark::DoNotOptimize(block.data());
    }
  }
  SetFlops(state, 2.0 * n * half * out);
}
BENCHMARK(BM_WeightGradientRows)
    ->Args({32, 784, 300})->Args({64, 784, 300})->Args({256, 784, 300})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

// Forward + backward in training mode of a layer that keeps its width.
void LayerTrainLoop(benchmark::State& state, const std::string& json) {
  const int64_t n = state.range(0), c = state.range(1);
  LayerRig rig(json, n, c);
  for (auto _ : state) {
    rig.layer->Forward(rig.src, &rig.dst, Mode::kTrain, rig.ctx);
    rig.layer->Backward(rig.src, rig.dst, rig.diff_dst, &rig.diff_src, rig.ctx);
  }
  state.SetItemsProcessed(state.iterations() * n);
}

// Args: batch, features.
void BM_BatchNormTrain(benchmark::State& state) {
  LayerTrainLoop(state, "{\"batch_normalization\": {}}");
}
BENCHMARK(BM_BatchNormTrain)
    ->Args({32, 784})->Args({32, 300})->Args({32, 100})
    ->Args({256, 784})->Args({256, 300})->Args({256, 100})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_DropoutTrain(benchmark::State& state) {
  LayerTrainLoop(state, "{\"dropout\": {\"rate\": 0.2}}");
}
BENCHMARK(BM_DropoutTrain)->Args({32, 784})->Args({256, 784})->Args({3200, 784})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

// The BN model's 268,978 trainable weights in one flat buffer (and, for
// mixed_bfloat16, their bf16 mirror, written by the same step).
void BM_OptimizerStep(benchmark::State& state, const std::string& json,
                      bool bf16_mirror = false) {
  ParameterStore params;
  params.Add("w", {268978}, true);
  if (bf16_mirror) params.RequestBfloat16Mirror();
  params.Allocate();
  Rng rng(3);
  for (float& g : params.grads()) g = rng.Uniform() - 0.5f;
  std::unique_ptr<Optimizer> opt =
      MakeOptimizer(ParseJson<v1::Optimizer>(json).value(), "optimizer").value();
  for (auto _ : state) opt->Step(params);
  state.SetItemsProcessed(state.iterations() * 268978);
}
BENCHMARK_CAPTURE(BM_OptimizerStep, nadam, std::string("{\"nadam\": {}}"))
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_OptimizerStep, nadam_bf16_mirror,
                  std::string("{\"nadam\": {}}"), true)
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_OptimizerStep, adam, std::string("{\"adam\": {}}"))
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_OptimizerStep, sgd_momentum,
                  std::string("{\"sgd\": {\"momentum\": 0.9}}"))
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

// A whole model on random data: `steps` training steps of one Fit epoch.
std::unique_ptr<Model> MakeModel(const std::string& spec_file,
                                 const std::string& policy = "float32") {
  v1::ModelSpec spec = ReadSpec(SourceDir() + "/" + spec_file).value();
  spec.set_dtype_policy(policy);
  return Model::Create(spec, 42).value();
}

Dataset RandomData(int64_t n) {
  Rng rng(5);
  Dataset d{RandomTensor({n, 28, 28}, rng, 0.f, 1.f), Tensor({n})};
  for (float& y : d.y.values()) y = static_cast<float>(rng.Below(10));
  return d;
}

// Args: batch. One iteration = one step (Fit over 20 batches, divided).
void BM_TrainStep(benchmark::State& state, const std::string& spec_file,
                  const std::string& policy) {
  const int64_t batch = state.range(0), steps = 20;
  std::unique_ptr<Model> model = MakeModel(spec_file, policy);
  const Dataset data = RandomData(batch * steps);
  const GemmWork work = ModelGemmWork(*model);
  for (auto _ : state) {
    FitOptions fit;
    fit.batch_size = static_cast<int>(batch);
    benchmark::DoNotOptimize(model->Fit(data, std::move(fit)));
  }
  state.SetItemsProcessed(state.iterations() * batch * steps);
  SetFlops(state, 2.0 * work.train() * batch * steps);
}
BENCHMARK_CAPTURE(BM_TrainStep, seed_bn_nadam,
                  std::string("bench/specs/seed_bn_nadam.json"),
                  std::string("float32"))
    ->Arg(32)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainStep, seed_bn_nadam_mixed_bfloat16,
                  std::string("bench/specs/seed_bn_nadam.json"),
                  std::string("mixed_bfloat16"))
    ->Arg(32)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainStep, seed_dropout,
                  std::string("deploy/examples/seed_dropout.json"),
                  std::string("float32"))
    ->Arg(32)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();

// Args: samples, inputs (MC batch 32 inputs per pass, as Model's default).
void BM_McPredict(benchmark::State& state) {
  const int samples = static_cast<int>(state.range(0));
  const int64_t inputs = state.range(1);
  std::unique_ptr<Model> model = MakeModel("deploy/examples/seed_dropout.json");
  const Dataset data = RandomData(inputs);
  const GemmWork work = ModelGemmWork(*model);
  for (auto _ : state) {
    benchmark::DoNotOptimize(model->PredictMc(data.x, samples));
  }
  state.SetItemsProcessed(state.iterations() * samples * inputs);
  SetFlops(state, 2.0 * work.forward * samples * inputs);
}
BENCHMARK(BM_McPredict)->Args({100, 1000})->Unit(benchmark::kMillisecond)->UseRealTime();

// Args: rows, policy (0 float32, 1 mixed_bfloat16). One iteration = one
// Model::Predict of `rows` rows as one batch: what a prediction thread runs
// for a batch of one-image requests (server/predictor.h).
void BM_Predict(benchmark::State& state) {
  const int64_t rows = state.range(0);
  std::unique_ptr<Model> model = MakeModel(
      "deploy/examples/seed_dropout.json",
      state.range(1) ? "mixed_bfloat16" : "float32");
  const Dataset data = RandomData(rows);
  const GemmWork work = ModelGemmWork(*model);
  for (auto _ : state) {
    benchmark::DoNotOptimize(model->Predict(data.x, static_cast<int>(rows)));
  }
  state.SetItemsProcessed(state.iterations() * rows);
  SetFlops(state, 2.0 * work.forward * rows);
}
BENCHMARK(BM_Predict)
    ->ArgsProduct({{1, 2, 8, 16, 32}, {0, 1}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace profundo::bench

int main(int argc, char** argv) {
  if (std::getenv("OMP_NUM_THREADS") == nullptr) omp_set_num_threads(2);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
