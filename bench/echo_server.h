// EchoServer: the ceiling of the Predict load test. A bare gRPC server
// whose one service (bench/echo.proto, profundo.bench.Echo) takes the real
// profundo.v1.PredictRequest and answers a PredictResponse prepared once,
// of the size the real Predict returns for one Fashion-MNIST image (model
// id, version, [1, 10] probabilities, top class and probability): the same
// (de)serialization and transport work, no inference, no thread hop.
//
// It is built like ProfundoServer's gRPC server (server/server.cc): the
// callback API, the default reactor finishing inline, the same message size
// limits, the health service and reflection, default gRPC thread settings.
//
// Thread-safe; Shutdown() is idempotent and also run by the destructor.
//
// Example:
//   absl::StatusOr<std::unique_ptr<EchoServer>> echo =
//       EchoServer::Start("127.0.0.1:0");
//   if (!echo.ok()) return echo.status();
//   std::string address = absl::StrCat("127.0.0.1:", (*echo)->port());
#ifndef PROFUNDO_BENCH_ECHO_SERVER_H_
#define PROFUNDO_BENCH_ECHO_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "bench/echo.grpc.pb.h"
#include "grpcpp/server.h"
#include "profundo/v1/service.pb.h"

namespace profundo::bench {

// What the real Predict answers for one image of a `classes`-way model.
v1::PredictResponse OneImageResponse(int classes = 10);

// Echo's Predict: copies the prepared response; INVALID_ARGUMENT when the
// request has no inputs (so a broken load generator shows up as errors).
class EchoService final : public Echo::CallbackService {
 public:
  explicit EchoService(v1::PredictResponse prepared);

  grpc::ServerUnaryReactor* Predict(grpc::CallbackServerContext* context,
                                    const v1::PredictRequest* request,
                                    v1::PredictResponse* response) override;

 private:
  const v1::PredictResponse prepared_;
};

class EchoServer {
 public:
  // Listens on `listen` ("host:port"; port 0 picks a free one).
  // UNAVAILABLE if it cannot.
  static absl::StatusOr<std::unique_ptr<EchoServer>> Start(
      const std::string& listen);
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  int port() const { return port_; }
  void Shutdown();
  // Blocks until Shutdown() has completed.
  void Wait();

 private:
  EchoServer();

  EchoService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace profundo::bench

#endif  // PROFUNDO_BENCH_ECHO_SERVER_H_
