#include "gchat/desktop/identity.hpp"

#include <doctest/doctest.h>

#include <QDateTime>

#include "gchat/relay/v1/relay.pb.h"
#include "thai_translation.hpp"

using namespace gchat::desktop;
using gchat::desktop::testing::ThaiTranslation;
namespace idv1 = ::gchat::identity::v1;

namespace {

constexpr std::int64_t kDay = 24 * 3600;

api::CertificateChanged change(idv1::Clearance from, idv1::Clearance to, std::int64_t not_after) {
  api::CertificateChanged c;
  c.mutable_person()->set_agency_id("moi");
  c.mutable_person()->set_user_id("nida");
  c.mutable_person()->set_clearance(to);
  c.set_previous_clearance(from);
  c.set_clearance_changed(from != to);
  c.set_not_after(not_after);
  c.set_serial(7);
  return c;
}

// Noon local time on a date, as Unix seconds (dates on screen are local).
std::int64_t noon(int y, int m, int d) {
  return QDateTime(QDate(y, m, d), QTime(12, 0), Qt::LocalTime).toSecsSinceEpoch();
}

api::OwnDevice device(const std::string& key, const std::string& name, std::uint64_t seen_ms, bool self,
                      bool revoked) {
  api::OwnDevice d;
  d.set_device_key(key);
  d.set_device_name(name);
  d.set_fingerprint("ab12 cd34 ef56 7890");
  d.set_last_seen_ms(seen_ms);
  d.set_this_device(self);
  d.set_revoked(revoked);
  return d;
}

}  // namespace

TEST_CASE("a clearance change reads Thai first with the English level beside it, and says what follows") {
  ThaiTranslation thai;
  Presentation p;
  const auto down = change(idv1::SECRET, idv1::CONFIDENTIAL, noon(2027, 3, 3));
  CHECK(IdentityTexts::clearance_changed(down, p) ==
        QStringLiteral("ชั้นความลับของคุณเปลี่ยนเป็น ลับ (Confidential) — เดิม ลับมาก"));
  CHECK(IdentityTexts::clearance_consequence(down).contains(QStringLiteral("ปิดสำหรับคุณแล้ว")));
  const auto up = change(idv1::SECRET, idv1::TOP_SECRET, noon(2027, 3, 3));
  CHECK(IdentityTexts::clearance_changed(up, p) ==
        QStringLiteral("ชั้นความลับของคุณเปลี่ยนเป็น ลับที่สุด (Top Secret) — เดิม ลับมาก"));
  CHECK(IdentityTexts::clearance_consequence(up).contains(QStringLiteral("สร้างและเข้าร่วม")));
  // A renewal that changed nothing else is no clearance notice, but a note with the new end date.
  const auto renewed = change(idv1::SECRET, idv1::SECRET, noon(2027, 3, 3));
  CHECK(IdentityTexts::clearance_changed(renewed, p).isEmpty());
  CHECK(IdentityTexts::clearance_consequence(renewed).isEmpty());
  CHECK(IdentityTexts::renewed(renewed, p) == QStringLiteral("ใบรับรองของคุณต่ออายุแล้ว ใช้ได้ถึง 3 มี.ค. 2570"));

  thai.remove();
  p.language = Language::english;
  p.calendar = Calendar::gregorian;
  CHECK(IdentityTexts::clearance_changed(down, p) ==
        QStringLiteral("Your clearance is now Confidential (ลับ) — it was Secret"));
  CHECK(IdentityTexts::renewed(renewed, p) ==
        QStringLiteral("Your certificate has been renewed; it is valid until 3 Mar 2027"));
}

TEST_CASE(
    "a certificate is warned about only in its last 7 days, administrators told to check the issuing "
    "service") {
  ThaiTranslation thai;
  Presentation p;
  const std::int64_t now = noon(2027, 3, 1);
  CHECK(IdentityTexts::expiry_warning(0, now, false, p).empty());  // not known yet
  CHECK(IdentityTexts::expiry_warning(now + 30 * kDay, now, false, p).empty());
  CHECK(IdentityTexts::expiry_warning(now + 7 * kDay + 1, now, false, p).empty());
  const auto person = IdentityTexts::expiry_warning(now + 7 * kDay, now, false, p);
  CHECK(person.headline == QStringLiteral("ใบรับรองของเครื่องนี้จะหมดอายุในอีก 7 วัน (8 มี.ค. 2570)"));
  CHECK(person.advice.contains(QStringLiteral("ติดต่อผู้ดูแลของหน่วยงาน")));
  const auto admin = IdentityTexts::expiry_warning(now + 2 * kDay + 5, now, true, p);
  CHECK(admin.headline.contains(QStringLiteral("อีก 3 วัน")));  // whole days, rounded up
  CHECK(admin.advice.contains(QStringLiteral("gchat-admin serve")));
  CHECK_FALSE(admin.advice.contains(QStringLiteral("ติดต่อผู้ดูแล")));
  const auto expired = IdentityTexts::expiry_warning(now - 5, now, false, p);
  CHECK(expired.headline.startsWith(QStringLiteral("ใบรับรองของเครื่องนี้หมดอายุเมื่อ 1 มี.ค. 2570")));
  CHECK(expired.advice.contains(QStringLiteral("ติดต่อผู้ดูแลของหน่วยงาน")));
  CHECK(IdentityTexts::expiry_warning(now - 5, now, true, p)
            .advice.contains(QStringLiteral("gchat-admin serve")));

  thai.use_english();
  p.language = Language::english;
  p.calendar = Calendar::gregorian;
  CHECK(IdentityTexts::expiry_warning(now + kDay, now, false, p).headline ==
        QStringLiteral("This device's certificate expires in 1 day, on 2 Mar 2027."));
  CHECK(IdentityTexts::expiry_warning(now + 5 * kDay, now, false, p).headline ==
        QStringLiteral("This device's certificate expires in 5 days, on 6 Mar 2027."));
  CHECK(IdentityTexts::expiry_warning(now + 5 * kDay, now, false, p)
            .advice.startsWith(QStringLiteral("Certificates normally renew by themselves 30 days ahead")));
}

TEST_CASE("a failed device request is a sentence that says what happened") {
  ThaiTranslation thai;
  api::Error offline;
  offline.set_code(api::OFFLINE);
  CHECK(IdentityTexts::device_error(offline).startsWith(QStringLiteral("ไม่ได้เชื่อมต่อกับเซิร์ฟเวอร์")));
  api::Error revoked;
  revoked.set_code(api::RELAY_REFUSED);
  revoked.set_relay_code(::gchat::relay::v1::REVOKED);
  revoked.set_message("the relay refused: this device is already revoked");
  CHECK(IdentityTexts::device_error(revoked) == QStringLiteral("อุปกรณ์นั้นถูกนำออกไปแล้ว"));
  api::Error other = revoked;
  other.set_relay_code(::gchat::relay::v1::INTERNAL);
  other.set_message("disk on fire");
  CHECK(IdentityTexts::device_error(other) == QStringLiteral("เซิร์ฟเวอร์ปฏิเสธ: disk on fire"));
}

TEST_CASE("my devices list this device first, then others by last use, removed ones last and greyed") {
  Presentation p;
  DeviceModel model(&p);
  api::Devices list;
  *list.add_devices() = device("old", "old-phone", 1000, false, true);
  *list.add_devices() = device("tab", "tablet", 2000, false, false);
  *list.add_devices() = device("me", "nida-desktop", 500, true, false);
  *list.add_devices() = device("lap", "", 3000, false, false);  // its chain did not verify: no name
  *list.add_devices() = device("new", "new-phone", 0, false, false);
  model.reset(list);
  REQUIRE(model.rowCount() == 5);
  CHECK(model.index(0).data(DeviceModel::NameRole).toString() == QStringLiteral("nida-desktop"));
  CHECK(model.index(0).data(DeviceModel::ThisDeviceRole).toBool());
  CHECK(model.index(1).data(DeviceModel::KeyRole).toString() ==
        QStringLiteral("6c6170"));  // "lap", seen last
  CHECK_FALSE(model.index(1).data(DeviceModel::NameRole).toString().isEmpty());
  CHECK(model.index(2).data(DeviceModel::NameRole).toString() == QStringLiteral("tablet"));
  CHECK(model.index(3).data(DeviceModel::NameRole).toString() == QStringLiteral("new-phone"));
  CHECK(model.index(3).data(DeviceModel::LastSeenRole).toString() !=
        model.index(2).data(DeviceModel::LastSeenRole).toString());
  CHECK(model.index(0).data(DeviceModel::LastSeenRole).toString() ==
        QStringLiteral("now"));  // untranslated here
  CHECK(model.index(4).data(DeviceModel::RevokedRole).toBool());
  CHECK(model.index(4).data(DeviceModel::FingerprintRole).toString() ==
        QStringLiteral("ab12 cd34 ef56 7890"));

  // Removed: greyed at once, where it was.
  model.mark_removed(QByteArray("tab"));
  CHECK(model.index(2).data(DeviceModel::RevokedRole).toBool());
  const QVariantMap row = model.get(2);
  CHECK(row.value("name").toString() == QStringLiteral("tablet"));
  CHECK(row.value("revoked").toBool());
  CHECK(row.value("deviceKey").toString() == QStringLiteral("746162"));
  CHECK(model.get(9).isEmpty());
  REQUIRE(model.find(QByteArray("me")) != nullptr);
  CHECK(model.find(QByteArray("nobody")) == nullptr);
}
