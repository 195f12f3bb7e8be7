// Channels to a Profundo server: plaintext, TLS, or mutual TLS.
//
//   ChannelSecurity security;
//   security.tls = true;                       // system root CAs
//   PROFUNDO_ASSIGN_OR_RETURN(security.root_certs_pem,
//                             ReadPemFile("--tls_ca", "ca.crt"));  // or one CA
//   PROFUNDO_ASSIGN_OR_RETURN(auto channel,
//                             CreateChannel("profundo:50051", security));
//   Client client(channel, options);
//
// Setting root_certs_pem or a client certificate implies TLS. A server
// whose certificate the roots do not verify, or a plaintext server, fails
// the first call with UNAVAILABLE (the handshake fails); no call falls back
// to plaintext. Bearer tokens are per call (ClientOptions::bearer_token).
//
// Stateless functions; thread-safe.
#ifndef PROFUNDO_CLIENT_CHANNEL_H_
#define PROFUNDO_CLIENT_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/channel_arguments.h"

namespace profundo {

struct ChannelSecurity {
  bool tls = false;
  // PEM CA certificates to trust instead of the system's roots.
  std::string root_certs_pem;
  // Client certificate chain and key, for servers that require one
  // (mutual TLS); both or neither.
  std::string cert_chain_pem;
  std::string private_key_pem;

  bool UsesTls() const {
    return tls || !root_certs_pem.empty() || !cert_chain_pem.empty() ||
           !private_key_pem.empty();
  }
};

// A channel to `target` ("host:port"). INVALID_ARGUMENT if only one of the
// client certificate and key is set.
absl::StatusOr<std::shared_ptr<grpc::Channel>> CreateChannel(
    const std::string& target, const ChannelSecurity& security,
    const grpc::ChannelArguments& args = grpc::ChannelArguments());

// The contents of the PEM file `path`. Errors start with `source` (the flag
// or variable it came from): INVALID_ARGUMENT "--tls_ca: cannot read
// /x: No such file or directory", or "... holds no PEM block".
absl::StatusOr<std::string> ReadPemFile(absl::string_view source,
                                        const std::string& path);

}  // namespace profundo

#endif  // PROFUNDO_CLIENT_CHANNEL_H_
