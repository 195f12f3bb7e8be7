#include "client/cli/flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, server, "localhost:50051", "Server address host:port.");
ABSL_FLAG(bool, json, false,
          "Print the response messages as JSON (snake_case field names).");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(30),
          "Deadline of each call (uploads get at least 30m; watching none).");
ABSL_FLAG(std::string, token, "",
          "Bearer token sent as 'authorization' metadata "
          "(default: $PROFUNDO_TOKEN).");
ABSL_FLAG(bool, tls, false,
          "Connect with TLS, trusting the system's root CAs "
          "(default: $PROFUNDO_TLS=1).");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA certificate(s) to trust instead; implies --tls "
          "(default: $PROFUNDO_TLS_CA).");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM client certificate for servers that require one (mutual TLS; "
          "with --tls_key; default: $PROFUNDO_TLS_CERT).");
ABSL_FLAG(std::string, tls_key, "",
          "PEM private key of --tls_cert (default: $PROFUNDO_TLS_KEY).");

ABSL_FLAG(int32_t, page_size, 0, "List page size (0: the server's default).");
ABSL_FLAG(std::string, page_token, "",
          "List page to show: the token a previous page printed.");

ABSL_FLAG(std::string, name, "",
          "upload: the dataset's name; models: show only this model name.");
ABSL_FLAG(std::string, images, "", "upload: IDX images file (raw or gzip).");
ABSL_FLAG(std::string, labels, "",
          "upload: IDX or .npy labels file; predict: true labels to compare.");
ABSL_FLAG(std::string, csv, "", "upload: CSV file (features and label).");
ABSL_FLAG(std::string, npy, "", "upload: .npy features file (with --labels).");
ABSL_FLAG(std::string, label_column, "",
          "CSV label column: name or 0-based index (upload default: last; "
          "predict: dropped from the inputs).");
ABSL_FLAG(bool, csv_header, true, "CSV: the first row holds column names.");

ABSL_FLAG(std::string, dataset, "",
          "Dataset id (submit: required; validate: check against it; "
          "jobs: filter).");
ABSL_FLAG(std::string, config, "", "TrainConfig JSON file (model.fit args).");
ABSL_FLAG(int32_t, epochs, 0, "submit: epochs (overrides --config).");
ABSL_FLAG(int32_t, batch_size, 0,
          "submit: batch size (overrides --config).");
ABSL_FLAG(double, validation_split, -1,
          "submit: validation split in [0, 1) (overrides --config).");
ABSL_FLAG(std::string, validation_dataset, "",
          "submit: validation dataset id (Keras validation_data).");
ABSL_FLAG(std::string, job_id, "",
          "submit: client-chosen job id, makes retries idempotent.");
ABSL_FLAG(std::string, model_name, "",
          "submit: model to add a version to (default: spec name or job id).");
ABSL_FLAG(int64_t, seed, -1, "submit: random seed (overrides --config).");
ABSL_FLAG(bool, watch, false, "submit: follow the job's progress until it ends.");
ABSL_FLAG(std::string, state, "",
          "jobs: queued, running, succeeded, failed or cancelled.");
ABSL_FLAG(int64_t, after_seq, 0, "watch: resume after this event seq.");
ABSL_FLAG(int32_t, health_every_steps, -1,
          "submit: per-layer health report every N steps (0: off; "
          "overrides --config; default 100).");
ABSL_FLAG(bool, tensorboard, false,
          "submit: write TensorBoard event files under the server's "
          "<data_dir>/tensorboard/<job_id> (overrides --config).");
ABSL_FLAG(bool, lr_range_test, false,
          "submit: run an LR range test instead of training (no model).");
ABSL_FLAG(double, lr_min, 0, "submit --lr_range_test: first rate (1e-5).");
ABSL_FLAG(double, lr_max, 0, "submit --lr_range_test: last rate (10).");
ABSL_FLAG(int64_t, lr_steps, 0,
          "submit --lr_range_test: steps (0: one epoch of the dataset).");

ABSL_FLAG(std::string, input, "",
          "predict: inputs, an IDX (raw or gzip), .npy or CSV file.");
ABSL_FLAG(int64_t, index, 0, "predict: first row of --input.");
ABSL_FLAG(int64_t, count, 1, "predict: rows of --input (0: all).");
ABSL_FLAG(int32_t, mc_samples, 0,
          "predict: Monte Carlo dropout samples (0: plain predict).");
ABSL_FLAG(int64_t, version, 0, "predict: model version (0: latest ready).");
ABSL_FLAG(std::string, class_names, "",
          "predict: 'fashion' names the 10 Fashion-MNIST classes.");

ABSL_FLAG(std::string, service, "",
          "ping: the service to check ('' = the whole server, "
          "profundo.v1.Profundo = the API).");
ABSL_FLAG(std::string, out, "", "plot: directory for the SVG files.");
