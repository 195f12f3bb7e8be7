// Rng: the one seeded random generator of a model or job (xoshiro256++,
// seeded through splitmix64). The same seed gives the same weights, shuffles
// and dropout masks on every machine: no std:: distribution is used, since
// their output is implementation-defined.
//
// State is four 64-bit words, exposed for checkpoints. Not thread-safe: one
// Rng per thread of work; use Fork() to derive independent streams.
//
// Example:
//   Rng rng(42);
//   float u = rng.Uniform();        // [0, 1)
//   double z = rng.Normal();        // N(0, 1)
#ifndef PROFUNDO_ENGINE_RNG_H_
#define PROFUNDO_ENGINE_RNG_H_

#include <array>
#include <cstdint>
#include <vector>

namespace profundo {

class Rng {
 public:
  using State = std::array<uint64_t, 4>;

  explicit Rng(uint64_t seed = 42);

  uint64_t Next();
  // Uniform float in [0, 1) with 24 random bits.
  float Uniform() { return static_cast<float>(Next() >> 40) * 0x1.0p-24f; }
  // Uniform double in [0, 1) with 53 random bits.
  double UniformDouble() {
    return static_cast<double>(Next() >> 11) * 0x1.0p-53;
  }
  // Standard normal (Box-Muller; one draw per call).
  double Normal();
  // Uniform integer in [0, n).
  uint64_t Below(uint64_t n);
  // Fills `out` with a random permutation of 0..n-1 (Fisher-Yates).
  void Permutation(int64_t n, std::vector<int64_t>* out);
  // A new generator whose stream does not overlap this one in practice.
  Rng Fork();

  const State& state() const { return s_; }
  void set_state(const State& s) { s_ = s; }

 private:
  State s_;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_RNG_H_
