// Decoding untrusted bytes as MLS structures: never crashes, never reads out of bounds, and
// whatever decodes re-encodes to exactly the same bytes (the encoding is canonical).
#include "fixture.hpp"
#include "fuzz.hpp"

using namespace gchat;
using namespace gchat::mls;

namespace {

template <typename T>
void round_trip(BytesView data) {
  auto decoded = codec::decode_exact<T>(data);
  if (!decoded.ok()) return;
  const Bytes again = codec::encode(*decoded);
  if (again.size() != data.size() || !std::equal(again.begin(), again.end(), data.begin())) {
    fuzz_fail("a decoded structure re-encodes differently");
  }
}

}  // namespace

std::vector<Bytes> fuzz_seeds() { return fuzz::sample_messages(); }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const BytesView in(data, size);
  round_trip<MlsMessage>(in);
  round_trip<Commit>(in);
  round_trip<Proposal>(in);
  round_trip<KeyPackage>(in);
  round_trip<GroupContext>(in);
  round_trip<GroupInfo>(in);
  round_trip<Welcome>(in);
  return 0;
}
