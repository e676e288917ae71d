#include "edge/crypto/keys.h"

#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>

#include <fstream>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"

namespace edge::crypto {
namespace {

mbedtls_pk_context* Pk(void* p) { return static_cast<mbedtls_pk_context*>(p); }

// A seeded CTR-DRBG for key generation and signing.
class Drbg {
 public:
  Drbg() {
    mbedtls_entropy_init(&entropy_);
    mbedtls_ctr_drbg_init(&drbg_);
    static constexpr unsigned char kPers[] = "edgefleet-keys";
    ok_ = mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_, kPers,
                                sizeof(kPers) - 1) == 0;
  }
  ~Drbg() {
    mbedtls_ctr_drbg_free(&drbg_);
    mbedtls_entropy_free(&entropy_);
  }
  bool ok() const { return ok_; }
  mbedtls_ctr_drbg_context* get() { return &drbg_; }

 private:
  mbedtls_entropy_context entropy_;
  mbedtls_ctr_drbg_context drbg_;
  bool ok_ = false;
};

std::string Pem(absl::string_view label, const unsigned char* der, size_t size) {
  size_t len = 0;
  (void)mbedtls_base64_encode(nullptr, 0, &len, der, size);
  std::string b64(len, '\0');
  (void)mbedtls_base64_encode(reinterpret_cast<unsigned char*>(b64.data()), b64.size(), &len, der,
                              size);
  b64.resize(len);
  std::string out = absl::StrCat("-----BEGIN ", label, "-----\n");
  for (size_t i = 0; i < b64.size(); i += 64) absl::StrAppend(&out, b64.substr(i, 64), "\n");
  absl::StrAppend(&out, "-----END ", label, "-----\n");
  return out;
}

bool IsP256(const mbedtls_pk_context* pk) {
  return mbedtls_pk_get_type(pk) == MBEDTLS_PK_ECKEY &&
         mbedtls_pk_ec(*pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1;
}

P256PublicKey PublicOf(const mbedtls_pk_context* pk) {
  unsigned char buf[200];
  // mbedtls writes DER at the end of the buffer.
  int n = mbedtls_pk_write_pubkey_der(const_cast<mbedtls_pk_context*>(pk), buf, sizeof(buf));
  P256PublicKey key;
  if (n == static_cast<int>(kP256SpkiBytes)) {
    (void)ParseP256Spki(buf + sizeof(buf) - n, static_cast<size_t>(n), &key);
  }
  return key;
}

}  // namespace

P256PrivateKey::P256PrivateKey(P256PrivateKey&& other) noexcept : pk_(other.pk_) {
  other.pk_ = nullptr;
}

P256PrivateKey::~P256PrivateKey() {
  if (pk_ != nullptr) {
    mbedtls_pk_free(Pk(pk_));
    delete Pk(pk_);
  }
}

absl::StatusOr<P256PrivateKey> P256PrivateKey::Generate() {
  Drbg drbg;
  if (!drbg.ok()) return absl::UnavailableError("cannot seed the random generator");
  auto* pk = new mbedtls_pk_context;
  mbedtls_pk_init(pk);
  P256PrivateKey key(pk);
  if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
      mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk), mbedtls_ctr_drbg_random,
                          drbg.get()) != 0) {
    return absl::InternalError("P-256 key generation failed");
  }
  return key;
}

absl::StatusOr<P256PrivateKey> P256PrivateKey::FromPem(absl::string_view pem) {
  std::string text(pem);  // mbedtls wants a NUL-terminated PEM, length including the NUL
  auto* pk = new mbedtls_pk_context;
  mbedtls_pk_init(pk);
  P256PrivateKey key(pk);
  int rc = mbedtls_pk_parse_key(pk, reinterpret_cast<const unsigned char*>(text.c_str()),
                                text.size() + 1, nullptr, 0);
  if (rc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
    return absl::InvalidArgumentError("the key is encrypted; decrypt it first (openssl pkey)");
  }
  if (rc != 0) return absl::InvalidArgumentError("not a PEM private key");
  if (!IsP256(pk)) return absl::InvalidArgumentError("not an ECDSA P-256 key");
  return key;
}

absl::StatusOr<std::string> P256PrivateKey::ToPkcs8Pem() const {
  // Mbed TLS 2.28 writes SEC1 (RFC 5915) only; wrap it in PKCS#8 (RFC 5208) ourselves:
  //   SEQUENCE { INTEGER 0, SEQUENCE { OID id-ecPublicKey, OID prime256v1 },
  //              OCTET STRING { ECPrivateKey } }
  unsigned char buf[512];
  int n = mbedtls_pk_write_key_der(Pk(pk_), buf, sizeof(buf));
  if (n <= 0 || n > 200) return absl::InternalError("cannot encode the private key");
  const unsigned char* sec1 = buf + sizeof(buf) - n;
  static constexpr unsigned char kAlg[] = {0x02, 0x01, 0x00,  // version 0
                                           0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                           0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
                                           0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
  std::string body(reinterpret_cast<const char*>(kAlg), sizeof(kAlg));
  body.push_back(0x04);  // OCTET STRING, short or long form length
  if (n < 128) {
    body.push_back(static_cast<char>(n));
  } else {
    body.push_back(static_cast<char>(0x81));
    body.push_back(static_cast<char>(n));
  }
  body.append(reinterpret_cast<const char*>(sec1), static_cast<size_t>(n));
  std::string der(1, 0x30);
  if (body.size() < 128) {
    der.push_back(static_cast<char>(body.size()));
  } else {
    der.push_back(static_cast<char>(0x81));
    der.push_back(static_cast<char>(body.size()));
  }
  der += body;
  return Pem("PRIVATE KEY", reinterpret_cast<const unsigned char*>(der.data()), der.size());
}

P256PublicKey P256PrivateKey::public_key() const { return PublicOf(Pk(pk_)); }

absl::StatusOr<std::string> P256PrivateKey::Sign(const Sha256Digest& digest) const {
  Drbg drbg;
  if (!drbg.ok()) return absl::UnavailableError("cannot seed the random generator");
  unsigned char sig[MBEDTLS_ECDSA_MAX_LEN];
  size_t len = 0;
  if (mbedtls_ecdsa_write_signature(mbedtls_pk_ec(*Pk(pk_)), MBEDTLS_MD_SHA256, digest.data(),
                                    digest.size(), sig, &len, mbedtls_ctr_drbg_random,
                                    drbg.get()) != 0) {
    return absl::InternalError("ECDSA signing failed");
  }
  return std::string(reinterpret_cast<const char*>(sig), len);
}

absl::StatusOr<P256PublicKey> PublicKeyFromPem(absl::string_view pem) {
  std::string text(pem);
  mbedtls_pk_context pk;
  mbedtls_pk_init(&pk);
  int rc = mbedtls_pk_parse_public_key(&pk, reinterpret_cast<const unsigned char*>(text.c_str()),
                                       text.size() + 1);
  if (rc != 0) {
    mbedtls_pk_free(&pk);
    absl::StatusOr<P256PrivateKey> priv = P256PrivateKey::FromPem(pem);
    if (priv.ok()) return priv->public_key();
    return absl::InvalidArgumentError("not a PEM public key (or private key)");
  }
  if (!IsP256(&pk)) {
    mbedtls_pk_free(&pk);
    return absl::InvalidArgumentError("not an ECDSA P-256 key");
  }
  P256PublicKey key = PublicOf(&pk);
  mbedtls_pk_free(&pk);
  return key;
}

std::string PublicKeyToPem(const P256PublicKey& key) {
  return Pem("PUBLIC KEY", key.spki.data(), key.spki.size());
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is larger than ", max_bytes, " bytes"));
  }
  return data;
}

}  // namespace edge::crypto
