// The `profundo` CLI's flags. absl flags are process-global, so every flag
// of every command is declared here, once; a command reads the ones it
// documents and ignores the rest. Names use underscores; the CLI also
// accepts dashes (--batch-size) by rewriting argv before parsing.
//
// Not thread-safe to set; read them from the CLI's one thread.
#ifndef PROFUNDO_CLIENT_CLI_FLAGS_H_
#define PROFUNDO_CLIENT_CLI_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"
#include "absl/time/time.h"

// Global.
ABSL_DECLARE_FLAG(std::string, server);
ABSL_DECLARE_FLAG(bool, json);
ABSL_DECLARE_FLAG(absl::Duration, timeout);
ABSL_DECLARE_FLAG(std::string, token);
ABSL_DECLARE_FLAG(bool, tls);
ABSL_DECLARE_FLAG(std::string, tls_ca);
ABSL_DECLARE_FLAG(std::string, tls_cert);
ABSL_DECLARE_FLAG(std::string, tls_key);

// Paging (datasets, models, jobs).
ABSL_DECLARE_FLAG(int32_t, page_size);
ABSL_DECLARE_FLAG(std::string, page_token);

// Datasets (upload; --labels also for predict).
ABSL_DECLARE_FLAG(std::string, name);
ABSL_DECLARE_FLAG(std::string, images);
ABSL_DECLARE_FLAG(std::string, labels);
ABSL_DECLARE_FLAG(std::string, csv);
ABSL_DECLARE_FLAG(std::string, npy);
ABSL_DECLARE_FLAG(std::string, label_column);
ABSL_DECLARE_FLAG(bool, csv_header);

// Models and jobs (validate, submit, jobs, watch).
ABSL_DECLARE_FLAG(std::string, dataset);
ABSL_DECLARE_FLAG(std::string, config);
ABSL_DECLARE_FLAG(int32_t, epochs);
ABSL_DECLARE_FLAG(int32_t, batch_size);
ABSL_DECLARE_FLAG(double, validation_split);
ABSL_DECLARE_FLAG(std::string, validation_dataset);
ABSL_DECLARE_FLAG(std::string, job_id);
ABSL_DECLARE_FLAG(std::string, model_name);
ABSL_DECLARE_FLAG(int64_t, seed);
ABSL_DECLARE_FLAG(bool, watch);
ABSL_DECLARE_FLAG(std::string, state);
ABSL_DECLARE_FLAG(int64_t, after_seq);
ABSL_DECLARE_FLAG(int32_t, health_every_steps);
ABSL_DECLARE_FLAG(bool, tensorboard);
ABSL_DECLARE_FLAG(bool, lr_range_test);
ABSL_DECLARE_FLAG(double, lr_min);
ABSL_DECLARE_FLAG(double, lr_max);
ABSL_DECLARE_FLAG(int64_t, lr_steps);

// Predict.
ABSL_DECLARE_FLAG(std::string, input);
ABSL_DECLARE_FLAG(int64_t, index);
ABSL_DECLARE_FLAG(int64_t, count);
ABSL_DECLARE_FLAG(int32_t, mc_samples);
ABSL_DECLARE_FLAG(int64_t, version);
ABSL_DECLARE_FLAG(std::string, class_names);

// Ping.
ABSL_DECLARE_FLAG(std::string, service);

// Plot.
ABSL_DECLARE_FLAG(std::string, out);

#endif  // PROFUNDO_CLIENT_CLI_FLAGS_H_
