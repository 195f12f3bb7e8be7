#include "server/port_credentials.h"

#include <string>
#include <utility>

#include "grpc/grpc.h"
#include "grpc/grpc_security.h"
#include "server/status_mapping.h"

namespace profundo::server {
namespace {

absl::string_view View(const grpc_slice& slice) {
  return absl::string_view(
      reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(slice)),
      GRPC_SLICE_LENGTH(slice));
}

// grpc_auth_metadata_processor.process: runs the gate and answers at once.
void ProcessMetadata(void* state, grpc_auth_context* /*context*/,
                     const grpc_metadata* md, size_t num_md,
                     grpc_process_auth_metadata_done_cb done, void* user_data) {
  const CallGate& gate = *static_cast<const CallGate*>(state);
  absl::string_view method;
  const grpc_metadata* authorization = nullptr;
  for (size_t i = 0; i < num_md; ++i) {
    const absl::string_view key = View(md[i].key);
    if (key == ":path") method = View(md[i].value);
    if (key == "authorization") authorization = &md[i];
  }
  const absl::Status status = gate(
      method, authorization == nullptr ? absl::string_view()
                                       : View(authorization->value));
  if (status.ok()) {
    done(user_data, authorization, authorization == nullptr ? 0 : 1, nullptr,
         0, GRPC_STATUS_OK, nullptr);
    return;
  }
  const grpc::Status mapped = ToGrpcStatus(status);
  done(user_data, nullptr, 0, nullptr, 0,
       static_cast<grpc_status_code>(mapped.error_code()),
       mapped.error_message().c_str());
}

void DestroyGate(void* state) { delete static_cast<CallGate*>(state); }

class PortCredentials final : public grpc::ServerCredentials {
 public:
  PortCredentials(const TlsServerConfig* tls, CallGate gate)
      : gate_(std::move(gate)) {
    if (tls != nullptr) tls_ = *tls;
  }

  // Not used: the gate is set through the core API.
  void SetAuthMetadataProcessor(
      const std::shared_ptr<grpc::AuthMetadataProcessor>&) override {}

 private:
  int AddPortToServer(const std::string& addr, grpc_server* server) override {
    grpc_server_credentials* creds = nullptr;
    if (tls_.has_value()) {
      grpc_ssl_pem_key_cert_pair pair = {tls_->private_key_pem.c_str(),
                                         tls_->cert_chain_pem.c_str()};
      const bool mutual = !tls_->client_ca_pem.empty();
      creds = grpc_ssl_server_credentials_create_ex(
          mutual ? tls_->client_ca_pem.c_str() : nullptr, &pair, 1,
          mutual ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                 : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
          nullptr);
    } else {
      creds = grpc_insecure_server_credentials_create();
    }
    if (gate_) {
      grpc_auth_metadata_processor processor;
      processor.process = ProcessMetadata;
      processor.destroy = DestroyGate;
      processor.state = new CallGate(gate_);
      grpc_server_credentials_set_auth_metadata_processor(creds, processor);
    }
    const int port = grpc_server_add_http2_port(server, addr.c_str(), creds);
    grpc_server_credentials_release(creds);
    return port;
  }

  std::optional<TlsServerConfig> tls_;
  const CallGate gate_;
};

}  // namespace

std::shared_ptr<grpc::ServerCredentials> MakePortCredentials(
    const TlsServerConfig* tls, CallGate gate) {
  return std::make_shared<PortCredentials>(tls, std::move(gate));
}

}  // namespace profundo::server
