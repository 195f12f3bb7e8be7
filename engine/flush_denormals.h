// ScopedFlushDenormals: while alive, the calling thread and the threads of
// its OpenMP team flush denormal float results to zero and read denormal
// inputs as zero (x86 MXCSR FTZ and DAZ), as TensorFlow runs every Keras op
// (its executor and thread pools hold port::ScopedFlushDenormal).
//
// Why: Nadam's and Adam's second moments (and momenta) of weights whose
// gradient is zero (Fashion-MNIST's always-black border pixels feed the first
// Dense layer zeros) decay geometrically into the denormal range, where every
// arithmetic instruction on them takes a slow microcode path: the optimizer
// step of the BN model ran ~3x slower after a few hundred steps.
//
// The constructor saves each thread's MXCSR and sets FTZ|DAZ (one OpenMP
// parallel region over the calling thread's team, which is the team oneDNN
// and engine/parallel.h use); the destructor restores the saved values.
// Keep the team size unchanged (omp_set_num_threads) while one is alive.
// No-op on non-x86 targets.
//
// Not copyable; scope it on the thread that trains or predicts, e.g.
//   absl::StatusOr<History> Model::Fit(...) {
//     ScopedFlushDenormals flush;
//     ...
#ifndef PROFUNDO_ENGINE_FLUSH_DENORMALS_H_
#define PROFUNDO_ENGINE_FLUSH_DENORMALS_H_

#include <cstdint>
#include <vector>

namespace profundo {

class ScopedFlushDenormals {
 public:
  ScopedFlushDenormals();
  ~ScopedFlushDenormals();
  ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
  ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

 private:
  // MXCSR of team thread i before the constructor (i = 0: the caller).
  std::vector<uint32_t> saved_;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_FLUSH_DENORMALS_H_
