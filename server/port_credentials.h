// Credentials of one listening port: plaintext or TLS (optionally mutual
// TLS), with a CallGate that gRPC core runs on every call's metadata before
// the call reaches any service. A call the gate refuses ends with the
// gate's status (UNAUTHENTICATED, PERMISSION_DENIED, ...) and no handler
// runs, for unary and streaming methods alike.
//
// Why not grpc::InsecureServerCredentials / SslServerCredentials with a
// grpc::AuthMetadataProcessor: in gRPC 1.51 the C++ insecure credentials
// abort on SetAuthMetadataProcessor, and server interceptors cannot refuse
// a call before its handler runs. gRPC core's metadata processor works on
// both kinds of port, so the ports are added through the core API here.
//
// The gate receives the full method name ("/profundo.v1.Profundo/Predict")
// and the "authorization" metadata ("" when absent); it must be fast and
// thread-safe (it runs on gRPC's threads, concurrently). When it accepts,
// the authorization metadata is consumed: handlers never see the token.
//
// Example:
//   builder.AddListeningPort(
//       "0.0.0.0:50051",
//       MakePortCredentials(&tls, [policy](absl::string_view method,
//                                          absl::string_view authorization) {
//         return policy->Check(method, authorization);
//       }),
//       &port);
#ifndef PROFUNDO_SERVER_PORT_CREDENTIALS_H_
#define PROFUNDO_SERVER_PORT_CREDENTIALS_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/server_credentials.h"
#include "server/tls_config.h"

namespace profundo::server {

using CallGate = std::function<absl::Status(absl::string_view method,
                                            absl::string_view authorization)>;

// `tls` null: plaintext. `gate` empty: every call proceeds. The returned
// credentials copy what they need from `tls` and own the gate (kept alive
// by gRPC until the server that used them is destroyed).
std::shared_ptr<grpc::ServerCredentials> MakePortCredentials(
    const TlsServerConfig* tls, CallGate gate);

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_PORT_CREDENTIALS_H_
