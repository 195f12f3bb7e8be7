// TlsServerConfig: the server's TLS material (--tls_cert, --tls_key,
// optional --tls_client_ca), read and checked before the server starts so
// that a bad file stops it with a message naming the flag, instead of a
// listener that fails later or, worse, a plaintext one.
//
// LoadTlsServerConfig checks that the certificate file holds at least one
// PEM certificate, that the key file holds a PEM private key matching the
// first certificate, and that the client CA file (when given) holds PEM
// certificates. Messages name the flag and the path, never file contents.
//
// A plain value; thread-compatible.
//
// Example:
//   PROFUNDO_ASSIGN_OR_RETURN(std::optional<TlsServerConfig> tls,
//       LoadTlsServerConfig(cert_path, key_path, client_ca_path));
//   options.tls = std::move(tls);   // nullopt: all three flags empty
#ifndef PROFUNDO_SERVER_TLS_CONFIG_H_
#define PROFUNDO_SERVER_TLS_CONFIG_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace profundo::server {

struct TlsServerConfig {
  std::string cert_chain_pem;  // server certificate, then intermediates
  std::string private_key_pem;
  // CAs that sign client certificates. Not empty: mutual TLS, every client
  // must present a certificate they signed.
  std::string client_ca_pem;
};

// nullopt when all three paths are empty (plaintext); INVALID_ARGUMENT when
// only one of cert and key is given, when the client CA comes without them,
// or when a file is unreadable or not what it should be.
absl::StatusOr<std::optional<TlsServerConfig>> LoadTlsServerConfig(
    const std::string& cert_path, const std::string& key_path,
    const std::string& client_ca_path);

// The same checks on PEM text already in memory (messages name the flags
// --tls_cert, --tls_key and --tls_client_ca).
absl::Status CheckTlsServerConfig(const TlsServerConfig& config);

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_TLS_CONFIG_H_
