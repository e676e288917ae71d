// edgectl: command-line client for edged.
//
// Exit codes: 0 success, 1 the operation failed (one line on stderr says why), 2 bad usage.
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "edge/client/model_client.h"
#include "edge/client/progress.h"
#include "google/protobuf/util/json_util.h"
#include "image_commands.h"
#include "model_commands.h"

namespace {
namespace v1 = edgefleet::v1;
using edge::client::ProgressBar;

struct Globals {
  std::string server;
  bool json = false;
};

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "edgectl: %s: %s\n", absl::StatusCodeToString(s.code()).c_str(),
               std::string(s.message()).c_str());
  return 1;
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

// "MODEL_KIND_EFM" -> "efm"; a kind this edgectl doesn't know (newer server) -> its number.
std::string KindName(v1::ModelKind k) {
  if (k == v1::MODEL_KIND_UNSPECIFIED) return "-";
  const std::string name = v1::ModelKind_Name(k);
  if (name.empty()) return absl::StrCat("kind-", static_cast<int>(k));
  return absl::AsciiStrToLower(absl::StripPrefix(name, "MODEL_KIND_"));
}

std::string Created(const v1::Model& m) {
  std::time_t t = static_cast<std::time_t>(m.created().seconds());
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void PrintModel(const v1::Model& m) {
  std::printf("id:        %s\n", m.id().c_str());
  std::printf("name:      %s\n", m.name().c_str());
  std::printf("version:   %s\n", m.version().c_str());
  std::printf("kind:      %s\n", KindName(m.kind()).c_str());
  std::printf("size:      %llu bytes (%s)\n", static_cast<unsigned long long>(m.size()),
              ProgressBar::HumanBytes(static_cast<double>(m.size())).c_str());
  std::printf("created:   %s\n", Created(m).c_str());
  std::string refs;
  for (const std::string& r : m.referenced_by())
    absl::StrAppend(&refs, refs.empty() ? "" : ", ", r);
  std::printf("used by:   %s\n", refs.empty() ? "-" : refs.c_str());
  const v1::Signature& sig = m.signature();
  if (sig.status() == v1::Signature::VERIFIED) {
    std::printf("signature: verified, key hash %s\n", sig.key_hash().c_str());
    const std::string counter =
        sig.has_security_counter() ? std::to_string(sig.security_counter()) : "-";
    std::printf("image:     version %s, security counter %s\n", sig.image_version().c_str(),
                counter.c_str());
  } else {
    std::printf("signature: unsigned (accepted because the gateway allows unsigned models)\n");
  }
  if (m.has_info()) {
    std::printf("model:     name %s, efm version %u, arena %u bytes, op set %s\n",
                m.info().model_name().c_str(), m.info().efm_version(), m.info().arena_bytes(),
                m.info().opset().empty() ? "-" : "(bitmap)");
  }
}

bool Interactive(const Globals& g) { return !g.json && isatty(STDOUT_FILENO); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "edgectl: manage an edgefleet gateway (edged) — models, and later nodes and pipelines"};
  app.set_version_flag("--version", "edgectl 0.1.0");
  app.require_subcommand(1);
  Globals g;
  const char* env = std::getenv("EDGE_SERVER");
  g.server = env != nullptr ? env : "127.0.0.1:50051";
  app.add_option("-s,--server", g.server,
                 "edged address HOST:PORT (default $EDGE_SERVER or 127.0.0.1:50051)")
      ->capture_default_str();
  app.add_flag("--json", g.json, "machine-readable JSON output");

  // upload
  std::string up_file;
  edge::client::UploadOptions up;
  std::string up_kind;
  CLI::App* upload =
      app.add_subcommand("upload", "upload a model file (streams it; verified by SHA-256)");
  upload->add_option("FILE", up_file, "model file (.efm, signed image, ...)")
      ->required()
      ->check(CLI::ExistingFile);
  upload->add_option("-n,--name", up.name, "model name (default: the file name without extension)");
  upload->add_option("-V,--version", up.version,
                     "model version (default: next integer for the name)");
  upload->add_option("--kind", up_kind, "efm|image|plugin|other (default: detected from content)")
      ->check(CLI::IsMember({"efm", "image", "plugin", "other"}));
  upload->add_flag("--json", g.json, "print the stored model as JSON");

  // ls
  std::string ls_filter;
  CLI::App* ls = app.add_subcommand("ls", "list stored models");
  ls->alias("list");
  ls->add_option("--name", ls_filter, "only this name (or a glob such as 'mnist*')");
  ls->add_flag("--json", g.json, "JSON output");

  // show
  std::string show_ref;
  CLI::App* show = app.add_subcommand("show", "show one model");
  show->add_option("REF", show_ref, "id, id prefix (>= 8 hex), name or name@version")->required();
  show->add_flag("--json", g.json, "JSON output");

  // rm
  std::string rm_ref;
  bool rm_force = false;
  CLI::App* rm = app.add_subcommand("rm", "delete a model");
  rm->add_option("REF", rm_ref, "id, id prefix, name or name@version")->required();
  rm->add_flag("-f,--force", rm_force, "delete even if pipelines or deployments still use it");
  rm->add_flag("--json", g.json, "JSON output");

  // download
  std::string dl_ref, dl_out;
  CLI::App* download = app.add_subcommand("download", "download a model's bytes to a file");
  download->add_option("REF", dl_ref, "id, id prefix, name or name@version")->required();
  download->add_option("-o,--output", dl_out, "output file (written atomically)")->required();
  download->add_flag("--json", g.json, "print the model as JSON when done");

  int local_rc = -1;  // set by the local (no server) commands
  edge::client::AddImageCommands(app, &local_rc);
  edge::client::AddModelCommands(app, &local_rc);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (local_rc >= 0) return local_rc;
  edge::client::ModelClient client(edge::client::Connect(g.server), g.server);

  if (upload->parsed()) {
    if (up_kind == "efm") up.kind = v1::MODEL_KIND_EFM;
    if (up_kind == "image") up.kind = v1::MODEL_KIND_IMAGE;
    if (up_kind == "plugin") up.kind = v1::MODEL_KIND_PLUGIN;
    if (up_kind == "other") up.kind = v1::MODEL_KIND_OTHER;
    ProgressBar bar("upload  ", Interactive(g));
    absl::StatusOr<v1::Model> m =
        client.Upload(up_file, up, [&](uint64_t d, uint64_t t) { bar.Update(d, t); });
    bar.Finish();
    if (!m.ok()) return Fail(m.status());
    if (g.json) {
      std::printf("%s\n", ToJson(*m).c_str());
    } else {
      std::printf("uploaded %s@%s  id %s  (%llu bytes)\n", m->name().c_str(), m->version().c_str(),
                  m->id().c_str(), static_cast<unsigned long long>(m->size()));
    }
    return 0;
  }
  if (ls->parsed()) {
    absl::StatusOr<std::vector<v1::Model>> all = client.ListAll(ls_filter);
    if (!all.ok()) return Fail(all.status());
    if (g.json) {
      v1::ListModelsResponse resp;
      for (const v1::Model& m : *all) *resp.add_models() = m;
      std::printf("%s\n", ToJson(resp).c_str());
      return 0;
    }
    if (all->empty()) {
      std::printf("no models stored (upload one with: edgectl upload FILE)\n");
      return 0;
    }
    std::printf("%-12s  %-24s  %-10s  %-6s  %10s  %-20s  %-9s  %-8s  %-12s  %s\n", "ID", "NAME",
                "VERSION", "KIND", "SIZE", "CREATED", "SIGNATURE", "SEC_CNT", "KEY", "USED BY");
    for (const v1::Model& m : *all) {
      const v1::Signature& sig = m.signature();
      const bool verified = sig.status() == v1::Signature::VERIFIED;
      const std::string counter =
          sig.has_security_counter() ? std::to_string(sig.security_counter()) : "-";
      std::printf("%-12s  %-24s  %-10s  %-6s  %10s  %-20s  %-9s  %-8s  %-12s  %d\n",
                  m.id().substr(0, 12).c_str(), m.name().c_str(), m.version().c_str(),
                  KindName(m.kind()).c_str(),
                  ProgressBar::HumanBytes(static_cast<double>(m.size())).c_str(),
                  Created(m).c_str(), verified ? "verified" : "unsigned", counter.c_str(),
                  verified ? sig.key_hash().substr(0, 12).c_str() : "-", m.referenced_by_size());
    }
    return 0;
  }
  if (show->parsed()) {
    absl::StatusOr<v1::Model> m = client.Get(show_ref);
    if (!m.ok()) return Fail(m.status());
    if (g.json) {
      std::printf("%s\n", ToJson(*m).c_str());
    } else {
      PrintModel(*m);
    }
    return 0;
  }
  if (rm->parsed()) {
    absl::StatusOr<v1::Model> m = client.Get(rm_ref);
    if (!m.ok()) return Fail(m.status());
    if (absl::Status s = client.Delete(m->id(), rm_force); !s.ok()) return Fail(s);
    if (g.json) {
      std::printf("%s\n", ToJson(*m).c_str());
    } else {
      std::printf("deleted %s@%s (id %s)\n", m->name().c_str(), m->version().c_str(),
                  m->id().c_str());
    }
    return 0;
  }
  if (download->parsed()) {
    ProgressBar bar("download", Interactive(g));
    absl::StatusOr<v1::Model> m =
        client.Download(dl_ref, dl_out, [&](uint64_t d, uint64_t t) { bar.Update(d, t); });
    bar.Finish();
    if (!m.ok()) return Fail(m.status());
    if (g.json) {
      std::printf("%s\n", ToJson(*m).c_str());
    } else {
      std::printf("downloaded %s@%s to %s (%llu bytes, sha256 verified)\n", m->name().c_str(),
                  m->version().c_str(), dl_out.c_str(), static_cast<unsigned long long>(m->size()));
    }
    return 0;
  }
  return 2;
}
