#include "gchat/desktop/backend.hpp"

#include <doctest/doctest.h>

#include <QDateTime>
#include <QTemporaryDir>
#include <cstdlib>
#include <memory>

#include "thai_translation.hpp"

using gchat::desktop::Backend;

TEST_CASE("setup refuses a bad relay address, a missing CA file and a malformed root key, with a reason") {
  QTemporaryDir home;
  REQUIRE(home.isValid());
  // Settings go to this folder, not the user's.
  ::setenv("XDG_CONFIG_HOME", home.path().toUtf8().constData(), 1);
  Backend backend(gchat::desktop::StartOptions{});
  CHECK(backend.stage() == QStringLiteral("setup"));
  const QString ca = home.filePath("ca.pem");
  QFile file(ca);
  REQUIRE(file.open(QIODevice::WriteOnly));
  file.close();
  const QString key(64, QChar('a'));

  CHECK_FALSE(backend.configure("127.0.0.1", ca, key, "pc"));  // no port
  CHECK_FALSE(backend.error().isEmpty());
  CHECK_FALSE(backend.configure("127.0.0.1:8443", home.filePath("missing.pem"), key, "pc"));
  CHECK(backend.error().contains("missing.pem"));
  CHECK_FALSE(backend.configure("127.0.0.1:8443", ca, key.left(63), "pc"));  // truncated
  CHECK_FALSE(backend.configure("127.0.0.1:8443", ca, QString(64, QChar('g')), "pc"));  // not hex
  CHECK(backend.stage() == QStringLiteral("setup"));

  CHECK(backend.configure("127.0.0.1:8443", ca, key.toUpper(), "pc"));
  CHECK(backend.error().isEmpty());
  CHECK(backend.stage() == QStringLiteral("unlock"));
  CHECK(backend.root_key() == key);  // kept in lower case
  CHECK(backend.relay() == QStringLiteral("127.0.0.1:8443"));
}

TEST_CASE("a passphrase shorter than 8 characters is refused before the store is touched") {
  QTemporaryDir home;
  REQUIRE(home.isValid());
  ::setenv("XDG_CONFIG_HOME", home.path().toUtf8().constData(), 1);
  gchat::desktop::StartOptions options;
  options.data_dir = home.filePath("store");
  Backend backend(options);
  backend.unlock("short");
  CHECK_FALSE(backend.error().isEmpty());
  CHECK_FALSE(backend.store_exists());
}

namespace {

namespace api = ::gchat::client::v1;
namespace idv1 = ::gchat::identity::v1;

// What the client core sends when this device took a renewed certificate.
api::Output certificate_event(idv1::Clearance from, idv1::Clearance to, std::int64_t not_after) {
  api::Output out;
  auto* c = out.mutable_event()->mutable_certificate();
  c->mutable_person()->set_agency_id("moi");
  c->mutable_person()->set_user_id("nida");
  c->mutable_person()->set_name_th("นิดา");
  c->mutable_person()->set_clearance(to);
  c->set_previous_clearance(from);
  c->set_clearance_changed(from != to);
  c->set_not_after(not_after);
  return out;
}

// A Backend with its settings in a fresh folder, showing Thai.
struct ThaiBackend {
  gchat::desktop::testing::ThaiTranslation thai;
  QTemporaryDir home;
  std::unique_ptr<Backend> backend;
  ThaiBackend() {
    REQUIRE(home.isValid());
    ::setenv("XDG_CONFIG_HOME", home.path().toUtf8().constData(), 1);
    backend = std::make_unique<Backend>(gchat::desktop::StartOptions{});
  }
};

}  // namespace

TEST_CASE("a clearance change moves the header's badge at once and its notice stays until dismissed") {
  ThaiBackend app;
  Backend& backend = *app.backend;
  int self_changed = 0, toasts = 0;
  QObject::connect(&backend, &Backend::selfChanged, [&] { ++self_changed; });
  QObject::connect(&backend, &Backend::done, [&](const QString&) { ++toasts; });
  const std::int64_t in_90_days = QDateTime::currentSecsSinceEpoch() + 90 * 24 * 3600;

  backend.on_output(certificate_event(idv1::SECRET, idv1::CONFIDENTIAL, in_90_days));
  CHECK(backend.self_level() == idv1::CONFIDENTIAL);
  CHECK(backend.self_name() == QStringLiteral("นิดา"));
  CHECK(self_changed == 1);
  CHECK(backend.clearance_notice() == QStringLiteral("ชั้นความลับของคุณเปลี่ยนเป็น ลับ (Confidential) — เดิม ลับมาก"));
  CHECK_FALSE(backend.clearance_notice_detail().isEmpty());
  CHECK(backend.clearance_notice_level() == idv1::CONFIDENTIAL);
  CHECK(toasts == 0);                           // a banner, not a note that goes away
  CHECK(backend.expiry_warning().isEmpty());    // 90 days left
  CHECK_FALSE(backend.certificate_valid_until().isEmpty());

  // A plain renewal afterwards is a short note; the clearance notice waits for the person.
  backend.on_output(certificate_event(idv1::CONFIDENTIAL, idv1::CONFIDENTIAL, in_90_days + 3600));
  CHECK(toasts == 1);
  CHECK_FALSE(backend.clearance_notice().isEmpty());
  backend.dismissClearanceNotice();
  CHECK(backend.clearance_notice().isEmpty());
  CHECK(backend.clearance_notice_detail().isEmpty());
  CHECK(backend.self_level() == idv1::CONFIDENTIAL);
}

TEST_CASE("a certificate that ends within 7 days is warned about, and one that ended says so") {
  ThaiBackend app;
  Backend& backend = *app.backend;
  const std::int64_t now = QDateTime::currentSecsSinceEpoch();
  backend.on_output(certificate_event(idv1::SECRET, idv1::SECRET, now + 3 * 24 * 3600 - 60));
  CHECK(backend.expiry_warning().contains(QStringLiteral("อีก 3 วัน")));
  CHECK_FALSE(backend.certificate_expired());
  backend.on_output(certificate_event(idv1::SECRET, idv1::SECRET, now - 60));
  CHECK(backend.certificate_expired());
  CHECK(backend.expiry_warning().contains(QStringLiteral("หมดอายุเมื่อ")));
}
