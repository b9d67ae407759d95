// The group-commit writer on a real SQLite file: batching, per-request savepoints, completion
// only after commit, and draining on stop.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <latch>
#include <string>

#include <unistd.h>

#include "gchat/server/storage_writer.hpp"
#include "temp_dir.hpp"

using namespace gchat;
using namespace gchat::server;
using gchat::testing::TempDir;

namespace {

Bytes key(std::uint32_t n) {
  Bytes k(32, 0);
  for (int i = 0; i < 4; ++i) k[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
  return k;
}

}  // namespace

TEST_CASE("requests run in batches; a failing request does not fail its neighbours") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  constexpr std::uint32_t kRequests = 300;
  std::atomic<std::uint32_t> ok{0}, failed{0};
  std::latch all_done(kRequests);
  {
    auto store = open_sqlite_store(path);
    REQUIRE(store.ok());
    StorageWriter writer(std::move(*store), 64);
    for (std::uint32_t i = 0; i < kRequests; ++i) {
      writer.submit({[i](Store& s) -> Status {
                       GCHAT_TRY(auto d, s.register_device(key(i), 0));
                       (void)d;
                       // Every tenth request registers a second key, then fails: both writes must vanish.
                       if (i % 10 == 0) {
                         GCHAT_TRY(auto extra, s.register_device(key(100000 + i), 0));
                         (void)extra;
                         return fail(Errc::invalid_value, "refused on purpose");
                       }
                       return {};
                     },
                     [&](const Status& st) {
                       (st.ok() ? ok : failed)++;
                       all_done.count_down();
                     }});
    }
    all_done.wait();
    const auto stats = writer.stats();
    CHECK(stats.requests == kRequests);
    CHECK(stats.batches >= kRequests / 64);
    CHECK(stats.batches <= kRequests);
    CHECK(stats.largest_batch <= 64);
    CHECK(stats.failed_commits == 0);
    writer.stop();
  }
  CHECK(ok == kRequests - kRequests / 10);
  CHECK(failed == kRequests / 10);
  auto store = open_sqlite_store(path);
  REQUIRE(store.ok());
  for (std::uint32_t i = 0; i < kRequests; ++i) {
    auto d = (*store)->find_device(key(i));
    REQUIRE(d.ok());
    CHECK(d->has_value() == (i % 10 != 0));
    auto extra = (*store)->find_device(key(100000 + i));
    REQUIRE(extra.ok());
    CHECK_FALSE(extra->has_value());
  }
}

TEST_CASE("stop finishes every submitted request before returning") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  std::atomic<int> done{0};
  auto store = open_sqlite_store(path);
  REQUIRE(store.ok());
  StorageWriter writer(std::move(*store), 8);
  for (std::uint32_t i = 0; i < 100; ++i) {
    writer.submit({[i](Store& s) -> Status {
                     GCHAT_TRY(auto d, s.register_device(key(i), 0));
                     (void)d;
                     return {};
                   },
                   [&](const Status& st) {
                     CHECK(st.ok());
                     done++;
                   }});
  }
  writer.stop();
  CHECK(done == 100);
  CHECK(writer.pending() == 0);
  writer.stop();  // idempotent
}
