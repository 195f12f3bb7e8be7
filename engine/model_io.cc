// Model persistence: SavedModel (trained model) and Checkpoint (a fit in
// progress), both protobuf (proto/profundo/v1/saved_model.proto).
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/model.h"
#include "engine/status_macros.h"
#include "profundo/v1/saved_model.pb.h"

namespace profundo {
namespace {

constexpr uint32_t kFormatVersion = 1;

v1::SavedModel ToSavedModel(const v1::ModelSpec& spec,
                            const ParameterStore& params,
                            const Standardizer& standardizer) {
  v1::SavedModel saved;
  saved.set_format_version(kFormatVersion);
  *saved.mutable_spec() = spec;
  saved.mutable_trainable()->Add(params.trainable_values().begin(),
                                 params.trainable_values().end());
  saved.mutable_non_trainable()->Add(params.non_trainable_values().begin(),
                                     params.non_trainable_values().end());
  if (standardizer.fitted()) {
    auto* st = saved.mutable_standardizer();
    st->mutable_mean()->Add(standardizer.mean().begin(),
                            standardizer.mean().end());
    st->mutable_std()->Add(standardizer.std().begin(), standardizer.std().end());
  }
  return saved;
}

// Copies saved weights and preprocessing into a model built from the same
// spec, checking every size.
absl::Status LoadWeights(const v1::SavedModel& saved, ParameterStore& params,
                         const Shape& input_shape, Standardizer& standardizer) {
  if (saved.format_version() != kFormatVersion) {
    return absl::InvalidArgumentError(absl::StrCat(
        "saved model format_version ", saved.format_version(),
        " is not supported (", kFormatVersion, ")"));
  }
  auto& t = params.trainable_values();
  auto& nt = params.non_trainable_values();
  if (static_cast<size_t>(saved.trainable_size()) != t.size() ||
      static_cast<size_t>(saved.non_trainable_size()) != nt.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "saved model has ", saved.trainable_size(), " + ",
        saved.non_trainable_size(), " weights, its spec builds ", t.size(),
        " + ", nt.size()));
  }
  std::copy(saved.trainable().begin(), saved.trainable().end(), t.begin());
  std::copy(saved.non_trainable().begin(), saved.non_trainable().end(),
            nt.begin());
  const auto& st = saved.standardizer();
  if (st.mean_size() > 0 || st.std_size() > 0) {
    const int64_t f = NumElements(input_shape);
    if (st.mean_size() != f || st.std_size() != f) {
      return absl::InvalidArgumentError(absl::StrCat(
          "saved standardizer has ", st.mean_size(), " means and ",
          st.std_size(), " stds for ", f, " features"));
    }
    for (float s : st.std()) {
      if (!(s > 0)) {
        return absl::InvalidArgumentError("saved standardizer std must be > 0");
      }
    }
    standardizer.Set({st.mean().begin(), st.mean().end()},
                     {st.std().begin(), st.std().end()});
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> Model::Save() const {
  std::string bytes;
  if (!ToSavedModel(spec_, params_, standardizer_).SerializeToString(&bytes)) {
    return absl::InternalError("cannot serialize the model");
  }
  return bytes;
}

absl::StatusOr<std::unique_ptr<Model>> Model::Load(std::string_view bytes) {
  v1::SavedModel saved;
  if (!saved.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("saved model bytes do not parse");
  }
  PROFUNDO_ASSIGN_OR_RETURN(std::unique_ptr<Model> model,
                            Create(saved.spec()));
  PROFUNDO_RETURN_IF_ERROR(LoadWeights(saved, model->params_,
                                       model->input_shape_,
                                       model->standardizer_));
  return model;
}

std::string Model::MakeCheckpoint(
    const std::vector<std::unique_ptr<Callback>>& cbs, const History& history,
    int epochs_done, bool stop_training) const {
  v1::Checkpoint ckpt;
  ckpt.set_format_version(kFormatVersion);
  *ckpt.mutable_model() = ToSavedModel(spec_, params_, standardizer_);
  auto* opt = ckpt.mutable_optimizer();
  opt->set_iterations(optimizer_->iterations());
  opt->set_learning_rate(optimizer_->learning_rate());
  opt->set_momentum(optimizer_->momentum());
  for (auto& [name, values] : optimizer_->slots()) {
    auto* slot = opt->add_slots();
    slot->set_name(name);
    slot->mutable_values()->Add(values->begin(), values->end());
  }
  for (const auto& [name, value] : optimizer_->scalars()) {
    (*opt->mutable_scalars())[name] = value;
  }
  for (const auto& cb : cbs) {
    std::vector<double> state = cb->SaveState();
    ckpt.add_callbacks()->mutable_values()->Add(state.begin(), state.end());
  }
  for (uint64_t w : rng_.state()) ckpt.add_rng_state(w);
  for (const EpochLogs& logs : history.epochs) {
    auto* e = ckpt.add_history();
    e->set_epoch(logs.epoch);
    e->set_loss(logs.loss);
    e->set_accuracy(logs.accuracy);
    if (logs.val_loss) e->set_val_loss(*logs.val_loss);
    if (logs.val_accuracy) e->set_val_accuracy(*logs.val_accuracy);
    e->set_lr(logs.lr);
  }
  ckpt.set_epochs_done(epochs_done);
  ckpt.set_stop_training(stop_training);
  std::string bytes;
  ckpt.SerializeToString(&bytes);
  return bytes;
}

absl::Status Model::RestoreCheckpoint(
    const std::string& bytes, std::vector<std::unique_ptr<Callback>>& cbs,
    History* history, int* epochs_done, bool* stop_training) {
  v1::Checkpoint ckpt;
  if (!ckpt.ParseFromString(bytes)) {
    return absl::InvalidArgumentError("checkpoint bytes do not parse");
  }
  if (ckpt.format_version() != kFormatVersion) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint format_version ", ckpt.format_version(), " is not supported"));
  }
  PROFUNDO_RETURN_IF_ERROR(
      LoadWeights(ckpt.model(), params_, input_shape_, standardizer_));
  if (ckpt.callbacks_size() != static_cast<int>(cbs.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint has state for ", ckpt.callbacks_size(),
        " callbacks, the fit has ", cbs.size()));
  }
  for (size_t i = 0; i < cbs.size(); ++i) {
    const auto& v = ckpt.callbacks(static_cast<int>(i)).values();
    PROFUNDO_RETURN_IF_ERROR(cbs[i]->LoadState({v.begin(), v.end()}));
  }
  const auto& opt = ckpt.optimizer();
  auto slots = optimizer_->slots();
  if (opt.slots_size() > 0 && opt.slots_size() != static_cast<int>(slots.size())) {
    return absl::InvalidArgumentError("checkpoint optimizer slots do not match");
  }
  for (int i = 0; i < opt.slots_size(); ++i) {
    if (opt.slots(i).name() != slots[i].first) {
      return absl::InvalidArgumentError(absl::StrCat(
          "checkpoint optimizer slot ", opt.slots(i).name(), " is not ",
          slots[i].first));
    }
    slots[i].second->assign(opt.slots(i).values().begin(),
                            opt.slots(i).values().end());
  }
  optimizer_->set_iterations(opt.iterations());
  PROFUNDO_RETURN_IF_ERROR(optimizer_->set_scalars(
      std::map<std::string, double>(opt.scalars().begin(), opt.scalars().end())));
  if (!optimizer_->has_schedule()) {
    optimizer_->set_learning_rate(opt.learning_rate());
  }
  if (optimizer_->has_momentum()) optimizer_->set_momentum(opt.momentum());
  if (ckpt.rng_state_size() != 4) {
    return absl::InvalidArgumentError("checkpoint rng_state must have 4 words");
  }
  rng_.set_state({ckpt.rng_state(0), ckpt.rng_state(1), ckpt.rng_state(2),
                  ckpt.rng_state(3)});
  history->epochs.clear();
  for (const auto& e : ckpt.history()) {
    EpochLogs logs;
    logs.epoch = e.epoch();
    logs.loss = e.loss();
    logs.accuracy = e.accuracy();
    if (e.has_val_loss()) logs.val_loss = e.val_loss();
    if (e.has_val_accuracy()) logs.val_accuracy = e.val_accuracy();
    logs.lr = e.lr();
    history->epochs.push_back(logs);
  }
  *epochs_done = ckpt.epochs_done();
  *stop_training = ckpt.stop_training();
  return absl::OkStatus();
}

}  // namespace profundo
