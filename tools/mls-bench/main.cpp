// gchat-mls-bench [--warm] [N ...]: for each group size N (default 10 100 1000 10000), builds a
// group of N members (one commit adding N-1 key packages, or with --warm N-2 external joins, so
// that every member's path is filled as after everyone has committed), then times, on one thread: creating and
// processing an add, a remove and an update commit, joining by Welcome, and protecting and
// opening application messages; prints a Markdown table with the byte sizes of the commit,
// Welcome and ratchet tree. A benchmark, not a test: timings vary from run to run.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "gchat/mls/group.hpp"

using namespace gchat;
using namespace gchat::mls;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t kNow = 1'800'000'000;

const crypto::CipherSuite& suite() { return **crypto::CipherSuite::from_id(crypto::kDefaultSuite); }

Identity identity(std::size_t n) {
  Identity id;
  const std::string name = "member-" + std::to_string(n);
  id.credential.identity.assign(name.begin(), name.end());
  id.signature = suite().generate_signature_key();
  return id;
}

template <typename T>
T must(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "gchat-mls-bench: %s: %s\n", what, r.error().to_string().c_str());
    std::exit(1);
  }
  return std::move(*r);
}

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct Row {
  std::size_t n;
  double add_create, add_process, remove_create, remove_process, update_create, update_process, join;
  double protect_per_s, open_per_s;
  std::size_t commit_bytes, welcome_bytes, tree_bytes;
};

// Builds the group. Fresh: one commit adds everyone (every other leaf stays unmerged, the worst
// case for the size of later paths). Warm: everyone joins by an external commit, each of which
// fills the joiner's path, as in a group whose members have all committed.
Row measure(std::size_t n, bool warm) {
  Row row{};
  row.n = n;
  std::vector<Identity> ids;
  ids.reserve(n + 2);
  for (std::size_t i = 0; i < n + 1; ++i) ids.push_back(identity(i));
  auto alice = must(Group::create(suite(), Bytes{'b', 'e', 'n', 'c', 'h'}, ids[0]), "create");
  std::vector<KeyPackage> kps;
  std::optional<KeyPackageBundle> bob_bundle;
  for (std::size_t i = 1; i < (warm ? 2 : n); ++i) {
    auto b = must(make_key_package(suite(), ids[i], kNow - 10, kNow + 100000), "key package");
    kps.push_back(b.key_package);
    if (i == 1) bob_bundle = std::move(b);
  }
  auto setup = must(alice.commit(kps, {}, kNow), "setup commit");
  const auto& setup_welcome = std::get<Welcome>(setup.welcome->body);
  auto t = Clock::now();
  auto bob = must(Group::join(suite(), setup_welcome, std::move(*bob_bundle), ids[1]), "join");
  row.join = ms_since(t);
  if (warm) {
    for (std::size_t i = 2; i < n; ++i) {
      const auto info = std::get<GroupInfo>(must(alice.group_info(), "group info").body);
      auto joined = must(Group::join_external(suite(), info, ids[i]), "external join");
      must(alice.process(joined.commit), "alice processes a join");
      must(bob.process(joined.commit), "bob processes a join");
    }
  }
  row.tree_bytes = alice.tree().encode().size();

  // Add one.
  auto extra = must(make_key_package(suite(), ids[n], kNow - 10, kNow + 100000), "key package");
  t = Clock::now();
  auto add = must(alice.commit({extra.key_package}, {}, kNow), "add commit");
  row.add_create = ms_since(t);
  if (warm) {
    // In a warm group, time the join of this new member instead (its tree is the warm one).
    t = Clock::now();
    const auto carol = must(Group::join(suite(), std::get<Welcome>(add.welcome->body), std::move(extra), ids[n]), "join");
    row.join = ms_since(t);
    if (carol.epoch() != alice.epoch()) std::exit(1);
  }
  row.commit_bytes = codec::encode(add.commit).size();
  row.welcome_bytes = codec::encode(*add.welcome).size();
  t = Clock::now();
  must(bob.process(add.commit), "process add");
  row.add_process = ms_since(t);

  // Remove the one just added.
  t = Clock::now();
  auto rm = must(alice.commit({}, {alice.tree().leaf_count() > n ? static_cast<LeafIndex>(n) : static_cast<LeafIndex>(n - 1)}, kNow),
                 "remove commit");
  row.remove_create = ms_since(t);
  t = Clock::now();
  must(bob.process(rm.commit), "process remove");
  row.remove_process = ms_since(t);

  // Update (empty commit with a path).
  t = Clock::now();
  auto up = must(alice.commit({}, {}, kNow), "update commit");
  row.update_create = ms_since(t);
  t = Clock::now();
  must(bob.process(up.commit), "process update");
  row.update_process = ms_since(t);

  // Application messages: alice protects, bob opens (each open verifies one signature).
  constexpr int kMessages = 2000;
  std::vector<MlsMessage> msgs;
  msgs.reserve(kMessages);
  const Bytes text(200, 'x');
  t = Clock::now();
  for (int i = 0; i < kMessages; ++i) msgs.push_back(must(alice.protect(text), "protect"));
  row.protect_per_s = kMessages / (ms_since(t) / 1000.0);
  t = Clock::now();
  for (const auto& m : msgs) must(bob.process(m), "open");
  row.open_per_s = kMessages / (ms_since(t) / 1000.0);
  if (Bytes(alice.epoch_authenticator().begin(), alice.epoch_authenticator().end()) !=
      Bytes(bob.epoch_authenticator().begin(), bob.epoch_authenticator().end())) {
    std::fprintf(stderr, "gchat-mls-bench: members disagree\n");
    std::exit(1);
  }
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes;
  bool warm = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--warm") {
      warm = true;
      continue;
    }
    const long v = std::strtol(argv[i], nullptr, 10);
    if (v < 2 || v > 100000) {
      std::fprintf(stderr, "usage: gchat-mls-bench [--warm] [N ...]  (2 <= N <= 100000)\n");
      return 2;
    }
    sizes.push_back(static_cast<std::size_t>(v));
  }
  if (sizes.empty()) sizes = {10, 100, 1000, 10000};
  std::printf("| N | add: create | add: process | remove: create | remove: process | update: create | "
              "update: process | join (Welcome) | protect/s | open/s | commit B | Welcome B | tree B |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (auto n : sizes) {
    const Row r = measure(n, warm);
    std::printf("| %zu | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.1f ms | %.0f | %.0f | %zu | %zu | %zu |\n",
                r.n, r.add_create, r.add_process, r.remove_create, r.remove_process, r.update_create, r.update_process,
                r.join, r.protect_per_s, r.open_per_s, r.commit_bytes, r.welcome_bytes, r.tree_bytes);
    std::fflush(stdout);
  }
  return 0;
}
