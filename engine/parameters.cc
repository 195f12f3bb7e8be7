#include "engine/parameters.h"

#include <algorithm>
#include <cassert>

namespace profundo {

int ParameterStore::Add(std::string name, Shape shape, bool trainable) {
  assert(!allocated_);
  Parameter p;
  p.name = std::move(name);
  p.size = NumElements(shape);
  p.shape = std::move(shape);
  p.trainable = trainable;
  int64_t& end = trainable ? trainable_size_ : non_trainable_size_;
  p.offset = end;
  end += p.size;
  params_.push_back(std::move(p));
  return static_cast<int>(params_.size()) - 1;
}

void ParameterStore::Allocate() {
  assert(!allocated_);
  trainable_.assign(trainable_size_, 0.0f);
  grads_.assign(trainable_size_, 0.0f);
  non_trainable_.assign(non_trainable_size_, 0.0f);
  if (bf16_requested_) bf16_.assign(trainable_size_, 0);
  allocated_ = true;
}

void ParameterStore::RequestBfloat16Mirror() {
  assert(!allocated_);
  bf16_requested_ = true;
}

uint16_t* ParameterStore::bfloat16_value(int id) {
  assert(params_[id].trainable && !bf16_.empty());
  return bf16_.data() + params_[id].offset;
}

float* ParameterStore::value(int id) {
  const Parameter& p = params_[id];
  return (p.trainable ? trainable_.data() : non_trainable_.data()) + p.offset;
}

const float* ParameterStore::value(int id) const {
  const Parameter& p = params_[id];
  return (p.trainable ? trainable_.data() : non_trainable_.data()) + p.offset;
}

float* ParameterStore::grad(int id) {
  assert(params_[id].trainable);
  return grads_.data() + params_[id].offset;
}

const float* ParameterStore::grad(int id) const {
  assert(params_[id].trainable);
  return grads_.data() + params_[id].offset;
}

void ParameterStore::ZeroGrads() { std::fill(grads_.begin(), grads_.end(), 0.0f); }

}  // namespace profundo
