#include "image_commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "edge/client/model_client.h"
#include "edge/crypto/hex.h"
#include "edge/crypto/keys.h"
#include "edge/image/image.h"
#include "edge/image/image_builder.h"
#include "edge/runtime/describe.h"
#include "model_commands.h"

namespace edge::client {
namespace {

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "edgectl: %s: %s\n", absl::StatusCodeToString(s.code()).c_str(),
               std::string(s.message()).c_str());
  return 1;
}

// Writes a file that must not exist yet, with `mode`.
absl::Status WriteNewFile(const std::string& path, const std::string& data, mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat(path, " already exists; refusing to overwrite it (pick another -o)"));
    }
    return absl::UnavailableError(absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  bool ok = write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  ok = fsync(fd) == 0 && ok;
  ok = close(fd) == 0 && ok;
  if (!ok) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// Writes (replacing) a file atomically.
absl::Status WriteFile(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out || std::rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<crypto::P256PublicKey>> LoadKeys(const std::vector<std::string>& paths) {
  std::vector<crypto::P256PublicKey> keys;
  for (const std::string& p : paths) {
    absl::StatusOr<std::string> pem = crypto::ReadSmallFile(p);
    if (!pem.ok()) return pem.status();
    absl::StatusOr<crypto::P256PublicKey> k = crypto::PublicKeyFromPem(*pem);
    if (!k.ok()) return absl::InvalidArgumentError(absl::StrCat(p, ": ", k.status().message()));
    keys.push_back(*k);
  }
  return keys;
}

std::string Stem(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  size_t dot = base.find('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

std::string CArray(const crypto::P256PublicKey& key) {
  std::string out =
      "/* ECDSA P-256 public key (DER SubjectPublicKeyInfo), from edgectl pubkey. */\n"
      "const unsigned char edge_trusted_pubkey[] = {";
  for (size_t i = 0; i < key.spki.size(); ++i) {
    absl::StrAppend(&out, i % 12 == 0 ? "\n    " : " ", absl::StrFormat("0x%02x,", key.spki[i]));
  }
  absl::StrAppend(&out, "\n};\nconst unsigned int edge_trusted_pubkey_len = ", key.spki.size(),
                  ";\n");
  return out;
}

struct SignArgs {
  std::string input, key, version, output, name, opset_hex;
  int64_t security_counter = -1;
  int64_t efm_version = -1;
  int64_t arena_bytes = -1;
  int header_size = 0x200;
};

int RunSign(const SignArgs& a) {
  absl::StatusOr<std::string> pem = crypto::ReadSmallFile(a.key);
  if (!pem.ok()) return Fail(pem.status());
  absl::StatusOr<crypto::P256PrivateKey> key = crypto::P256PrivateKey::FromPem(*pem);
  if (!key.ok())
    return Fail(absl::InvalidArgumentError(absl::StrCat(a.key, ": ", key.status().message())));
  absl::StatusOr<image::ImageVersion> version = image::ParseVersion(a.version);
  if (!version.ok()) return Fail(version.status());
  absl::StatusOr<std::string> payload = crypto::ReadSmallFile(a.input, 0xffffffffu);
  if (!payload.ok()) return Fail(payload.status());
  if (payload->size() >= 4 && static_cast<uint8_t>((*payload)[0]) == 0x3d &&
      static_cast<uint8_t>((*payload)[3]) == 0x96) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat(a.input, " is already a signed image; sign the .efm it was made from")));
  }
  image::SignOptions o;
  o.header_size = static_cast<uint16_t>(a.header_size);
  o.version = *version;
  if (a.security_counter >= 0) o.security_counter = static_cast<uint32_t>(a.security_counter);
  o.model_name = a.name.empty() ? NameFromPath(a.input) : a.name;
  // The gateway files the image under this name, so it must be a valid model name.
  const bool name_ok = !o.model_name.empty() && o.model_name.size() <= image::kMaxModelNameBytes &&
                       std::isalnum(static_cast<unsigned char>(o.model_name[0])) &&
                       o.model_name.find_first_not_of(
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                           "0123456789._-") == std::string::npos;
  if (!name_ok) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "--name \"", o.model_name,
        "\": use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit")));
  }
  // An .efm payload fills the model TLVs itself (checked like the runtime would); flags override.
  if (runtime::LooksLikeEfm(*payload)) {
    absl::StatusOr<runtime::EfmSummary> efm = runtime::SummarizeEfm(*payload);
    if (!efm.ok()) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(a.input, ": ", efm.status().message())));
    }
    o.efm_version = efm->format_version;
    o.arena_bytes = static_cast<uint32_t>(efm->required_arena_bytes);
    o.opset = efm->op_set;
  }
  if (a.efm_version >= 0) o.efm_version = static_cast<uint32_t>(a.efm_version);
  if (a.arena_bytes >= 0) o.arena_bytes = static_cast<uint32_t>(a.arena_bytes);
  if (!a.opset_hex.empty() && !crypto::FromHex(a.opset_hex, &o.opset)) {
    return Fail(absl::InvalidArgumentError("--opset must be hex bytes, e.g. 05000080"));
  }
  absl::StatusOr<std::string> img = image::BuildSignedImage(*payload, o, *key);
  if (!img.ok()) return Fail(img.status());
  if (absl::Status s = WriteFile(a.output, *img); !s.ok()) return Fail(s);
  std::printf("signed %s -> %s: %s@%s, security counter %u, %zu bytes, key hash %s\n",
              a.input.c_str(), a.output.c_str(), o.model_name.c_str(),
              image::VersionString(o.version).c_str(),
              o.security_counter.value_or(image::AutoSecurityCounter(o.version)), img->size(),
              crypto::ToHex(key->public_key().KeyHash()).c_str());
  return 0;
}

int RunVerifyOrInspect(const std::string& path, const std::vector<std::string>& key_paths,
                       bool describe, bool json = false) {
  absl::StatusOr<std::string> data = crypto::ReadSmallFile(path, 0xffffffffu);
  if (!data.ok()) return Fail(data.status());
  absl::StatusOr<std::vector<crypto::P256PublicKey>> keys = LoadKeys(key_paths);
  if (!keys.ok()) return Fail(keys.status());
  if (describe && runtime::LooksLikeEfm(*data)) return DescribeEfmFile(path, *data, json);
  if (describe) {
    std::printf("%s", image::DescribeImage(*data).c_str());
    // A signed .efm: describe the model inside too (header: hdr_size @8, img_size @12).
    if (data->size() >= image::kHeaderBytes) {
      const auto* p = reinterpret_cast<const uint8_t*>(data->data());
      const size_t hdr = p[8] | p[9] << 8;
      const size_t len = static_cast<size_t>(p[12]) | static_cast<size_t>(p[13]) << 8 |
                         static_cast<size_t>(p[14]) << 16 | static_cast<size_t>(p[15]) << 24;
      if (hdr + len <= data->size() && runtime::LooksLikeEfm(data->substr(hdr, len))) {
        std::printf("payload: .efm model\n");
        DescribeEfmFile(path, data->substr(hdr, len), false);
      }
    }
  }
  image::ImageVerifier v;
  Status s = v.Update(reinterpret_cast<const uint8_t*>(data->data()), data->size());
  Result<image::VerifiedImage> r =
      s.ok() ? v.Finish(keys->data(), keys->size()) : Result<image::VerifiedImage>(s);
  const bool trust_only = v.error() == image::ImageError::kUntrustedKey ||
                          v.error() == image::ImageError::kBadSignature ||
                          v.error() == image::ImageError::kMissingSignature ||
                          v.error() == image::ImageError::kMissingKeyHash;
  if (describe) {
    if (r.ok()) {
      std::printf("signature: VERIFIED, signed by %s (key hash %s)\n",
                  key_paths[r->key_index].c_str(), crypto::ToHex(r->key_hash).c_str());
    } else if (key_paths.empty() && v.error() == image::ImageError::kUntrustedKey) {
      std::printf("signature: present, not checked (pass -k PUBKEY.pem to verify it)\n");
    } else {
      std::printf("signature: REFUSED: %s\n", image::ImageErrorText(v.error()));
    }
    return r.ok() || (key_paths.empty() && trust_only) ? 0 : 1;
  }
  if (!r.ok()) {
    return Fail(
        absl::PermissionDeniedError(absl::StrCat(path, ": ", image::ImageErrorText(v.error()))));
  }
  std::printf("%s: verified: %s@%s, security counter %u, signed by %s (key hash %s)\n",
              path.c_str(), r->model.has_name ? r->model.name : "(no model name)",
              image::VersionString(r->header.version).c_str(), r->security_counter,
              key_paths[r->key_index].c_str(), crypto::ToHex(r->key_hash).c_str());
  return 0;
}

}  // namespace

void AddImageCommands(CLI::App& app, int* exit_code) {
  // keygen
  auto keygen_out = std::make_shared<std::string>();
  CLI::App* keygen = app.add_subcommand(
      "keygen", "create an ECDSA P-256 signing key (PKCS#8 PEM, mode 0600; never overwrites)");
  keygen->add_option("-o,--output", *keygen_out, "private key file to create")->required();
  keygen->callback([keygen_out, exit_code] {
    absl::StatusOr<crypto::P256PrivateKey> key = crypto::P256PrivateKey::Generate();
    if (!key.ok()) {
      *exit_code = Fail(key.status());
      return;
    }
    absl::StatusOr<std::string> pem = key->ToPkcs8Pem();
    if (!pem.ok()) {
      *exit_code = Fail(pem.status());
      return;
    }
    if (absl::Status s = WriteNewFile(*keygen_out, *pem, 0600); !s.ok()) {
      *exit_code = Fail(s);
      return;
    }
    std::printf(
        "wrote %s (ECDSA P-256, keep it secret)\nkey hash %s\nnext: edgectl pubkey %s > "
        "%s.pub  (add that to the gateway's trusted_keys)\n",
        keygen_out->c_str(), crypto::ToHex(key->public_key().KeyHash()).c_str(),
        keygen_out->c_str(), Stem(*keygen_out).c_str());
    *exit_code = 0;
  });

  // pubkey
  auto pub_in = std::make_shared<std::string>();
  auto pub_format = std::make_shared<std::string>("pem");
  CLI::App* pubkey = app.add_subcommand(
      "pubkey", "print the public key of a key file (PEM, C array for a loader, or key hash)");
  pubkey->add_option("KEY", *pub_in, "private or public key PEM")->required();
  pubkey->add_option("--format", *pub_format, "pem | c | hash")
      ->check(CLI::IsMember({"pem", "c", "hash"}))
      ->capture_default_str();
  pubkey->callback([pub_in, pub_format, exit_code] {
    absl::StatusOr<std::vector<crypto::P256PublicKey>> keys = LoadKeys({*pub_in});
    if (!keys.ok()) {
      *exit_code = Fail(keys.status());
      return;
    }
    const crypto::P256PublicKey& k = keys->front();
    if (*pub_format == "hash") {
      std::printf("%s\n", crypto::ToHex(k.KeyHash()).c_str());
    } else if (*pub_format == "c") {
      std::printf("%s", CArray(k).c_str());
    } else {
      std::printf("%s", crypto::PublicKeyToPem(k).c_str());
    }
    *exit_code = 0;
  });

  // sign
  auto sa = std::make_shared<SignArgs>();
  CLI::App* sign = app.add_subcommand(
      "sign", "wrap a payload (e.g. model.efm) in a signed MCUboot-format image");
  sign->add_option("FILE", sa->input, "payload to sign")->required()->check(CLI::ExistingFile);
  sign->add_option("-k,--key", sa->key, "private key PEM (edgectl keygen)")->required();
  sign->add_option("-V,--version", sa->version, "image version MAJOR.MINOR.REVISION[+BUILD]")
      ->required();
  sign->add_option("-o,--output", sa->output, "signed image to write")->required();
  sign->add_option("--security-counter", sa->security_counter,
                   "downgrade-protection counter (default: (major<<24)+(minor<<16)+revision, "
                   "as imgtool -s auto)")
      ->check(CLI::Range(int64_t{0}, int64_t{0xffffffff}));
  sign->add_option("--header-size", sa->header_size, "header size incl. padding (default 512)")
      ->check(CLI::Range(32, 65535));
  sign->add_option("--name", sa->name, "model name TLV (default: the file name without extension)");
  sign->add_option("--efm-version", sa->efm_version,
                   "model format version TLV (default: read from an .efm payload)")
      ->check(CLI::Range(int64_t{0}, int64_t{0xffffffff}));
  sign->add_option("--arena-bytes", sa->arena_bytes,
                   "arena bytes TLV (default: what an .efm payload needs to run)")
      ->check(CLI::Range(int64_t{0}, int64_t{0xffffffff}));
  sign->add_option("--opset", sa->opset_hex,
                   "required op set TLV, hex bitmap (default: from an .efm payload)");
  sign->callback([sa, exit_code] { *exit_code = RunSign(*sa); });

  // verify
  auto v_file = std::make_shared<std::string>();
  auto v_keys = std::make_shared<std::vector<std::string>>();
  CLI::App* verify = app.add_subcommand("verify", "check a signed image against public keys");
  verify->add_option("FILE", *v_file, "signed image")->required()->check(CLI::ExistingFile);
  verify->add_option("-k,--key", *v_keys, "trusted public key PEM (repeatable)")->required();
  verify->callback(
      [v_file, v_keys, exit_code] { *exit_code = RunVerifyOrInspect(*v_file, *v_keys, false); });

  // inspect
  auto i_file = std::make_shared<std::string>();
  auto i_keys = std::make_shared<std::vector<std::string>>();
  CLI::App* inspect =
      app.add_subcommand("inspect",
                         "describe an .efm model (ops, tensors, arena, state) or a signed image "
                         "(header, TLVs, key hash, signature, and the model inside)");
  inspect->add_option("FILE", *i_file, "model.efm or signed image")
      ->required()
      ->check(CLI::ExistingFile);
  inspect->add_option("-k,--key", *i_keys, "public key PEM to verify against (repeatable)");
  inspect->fallthrough();  // --json after the subcommand
  inspect->callback([i_file, i_keys, inspect, exit_code] {
    const CLI::Option* j = inspect->get_parent()->get_option_no_throw("--json");
    *exit_code = RunVerifyOrInspect(*i_file, *i_keys, true, j != nullptr && j->as<bool>());
  });
}

}  // namespace edge::client
