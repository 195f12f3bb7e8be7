#include "server/tls_config.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"
#include "openssl/bio.h"
#include "openssl/err.h"
#include "openssl/evp.h"
#include "openssl/pem.h"
#include "openssl/x509.h"
#include "server/env.h"

namespace profundo::server {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

BioPtr MemoryBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The certificates in `pem` (all of them, in order); an error naming
// `flag` if there is none. Trailing non-certificate text is ignored.
absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(const std::string& pem,
                                                       const char* flag) {
  BioPtr bio = MemoryBio(pem);
  std::vector<X509Ptr> certs;
  while (bio != nullptr) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) break;
    certs.push_back(std::move(cert));
  }
  ERR_clear_error();  // the read that ended the loop
  if (certs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": no PEM certificate in the file"));
  }
  return certs;
}

// Reads `path` for `flag`; its error names both.
absl::StatusOr<std::string> ReadFlagFile(const char* flag,
                                         const std::string& path) {
  absl::StatusOr<std::string> text = Env::Default()->ReadFile(path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", text.status().message()));
  }
  return text;
}

// Prefixes a flag's check error with the file's path.
absl::Status WithPath(const absl::Status& status, const std::string& path) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(status.message(), " (", path, ")"));
}

}  // namespace

absl::Status CheckTlsServerConfig(const TlsServerConfig& config) {
  PROFUNDO_ASSIGN_OR_RETURN(std::vector<X509Ptr> chain,
                            ParseCertificates(config.cert_chain_pem,
                                              "--tls_cert"));
  BioPtr bio = MemoryBio(config.private_key_pem);
  PkeyPtr key(bio == nullptr ? nullptr
                             : PEM_read_bio_PrivateKey(bio.get(), nullptr,
                                                       nullptr, nullptr));
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        "--tls_key: no unencrypted PEM private key in the file");
  }
  if (X509_check_private_key(chain.front().get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "--tls_key does not match the certificate of --tls_cert");
  }
  if (!config.client_ca_pem.empty()) {
    PROFUNDO_RETURN_IF_ERROR(
        ParseCertificates(config.client_ca_pem, "--tls_client_ca").status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<TlsServerConfig>> LoadTlsServerConfig(
    const std::string& cert_path, const std::string& key_path,
    const std::string& client_ca_path) {
  if (cert_path.empty() && key_path.empty()) {
    if (!client_ca_path.empty()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca needs --tls_cert and --tls_key (mutual TLS is TLS)");
    }
    return std::nullopt;
  }
  if (cert_path.empty() || key_path.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key go together: give both or neither");
  }
  TlsServerConfig config;
  PROFUNDO_ASSIGN_OR_RETURN(config.cert_chain_pem,
                            ReadFlagFile("--tls_cert", cert_path));
  PROFUNDO_ASSIGN_OR_RETURN(config.private_key_pem,
                            ReadFlagFile("--tls_key", key_path));
  if (!client_ca_path.empty()) {
    PROFUNDO_ASSIGN_OR_RETURN(config.client_ca_pem,
                              ReadFlagFile("--tls_client_ca", client_ca_path));
    if (config.client_ca_pem.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--tls_client_ca: no PEM certificate in the file (", client_ca_path,
          ")"));
    }
  }
  absl::Status valid = CheckTlsServerConfig(config);
  if (!valid.ok()) {
    // The message starts with the flag it is about; add that flag's path.
    const std::string& path =
        absl::StartsWith(valid.message(), "--tls_client_ca") ? client_ca_path
        : absl::StartsWith(valid.message(), "--tls_key")     ? key_path
                                                             : cert_path;
    return WithPath(valid, path);
  }
  return config;
}

}  // namespace profundo::server
