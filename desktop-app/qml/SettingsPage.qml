// Settings: language, calendar, text size, notification previews in classified conversations; this
// device (its certificate's end, My devices).
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

Page {
    id: page
    objectName: "settingsPage"
    signal openDevices()
    background: Rectangle { color: Theme.background }
    ScrollView {
        anchors.fill: parent
        contentWidth: availableWidth
        ColumnLayout {
            width: Math.min(parent.width - 40, 620)
            x: 20
            spacing: 12
            Item { implicitHeight: 8 }
            Label { text: qsTr("Settings"); font.bold: true; font.pointSize: Theme.fontSize * 1.4 }

            GroupBox {
                title: qsTr("Language")
                Layout.fillWidth: true
                RowLayout {
                    RadioButton { objectName: "thaiLanguage"; text: "ไทย"; checked: Backend.language === "th"; onClicked: Backend.setLanguage("th") }
                    RadioButton { objectName: "englishLanguage"; text: "English"; checked: Backend.language === "en"; onClicked: Backend.setLanguage("en") }
                }
            }
            GroupBox {
                title: qsTr("Dates")
                Layout.fillWidth: true
                RowLayout {
                    RadioButton { objectName: "buddhistCalendar"; text: qsTr("Thai calendar (B.E.)"); checked: Backend.calendar === "buddhist"; onClicked: Backend.setCalendar("buddhist") }
                    RadioButton { objectName: "gregorianCalendar"; text: qsTr("Gregorian (A.D.)"); checked: Backend.calendar === "gregorian"; onClicked: Backend.setCalendar("gregorian") }
                }
            }
            GroupBox {
                title: qsTr("Text size")
                Layout.fillWidth: true
                RowLayout {
                    anchors.fill: parent
                    Slider {
                        id: size
                        objectName: "fontScaleSlider"
                        from: 0.8; to: 1.6; stepSize: 0.1
                        value: Backend.fontScale
                        Layout.fillWidth: true
                        onMoved: Backend.setFontScale(value)
                        Accessible.name: qsTr("Text size")
                    }
                    Label { text: Math.round(Backend.fontScale * 100) + " %" }
                }
            }
            GroupBox {
                title: qsTr("Notifications")
                Layout.fillWidth: true
                ColumnLayout {
                    anchors.fill: parent
                    Switch {
                        objectName: "previewSwitch"
                        text: qsTr("Show sender and text in notifications of classified conversations")
                        checked: Backend.previewClassified
                        onToggled: Backend.setPreviewClassified(checked)
                    }
                    Label {
                        Layout.fillWidth: true
                        wrapMode: Text.Wrap
                        color: Theme.muted
                        text: qsTr("Off by default: a notification then says only that a classified message arrived, so that nothing classified shows on a screen others may see.")
                    }
                }
            }
            GroupBox {
                title: qsTr("This device")
                Layout.fillWidth: true
                ColumnLayout {
                    anchors.fill: parent
                    Label { text: qsTr("Signed in as %1, %2").arg(Backend.selfName).arg(Backend.selfAgency) }
                    Label { text: qsTr("Device name: %1").arg(Backend.deviceName) }
                    Label { text: qsTr("Server: %1").arg(Backend.relay) }
                    Label {
                        visible: Backend.certificateValidUntil !== ""
                        text: qsTr("Certificate valid until %1 (renewed by itself before then)").arg(Backend.certificateValidUntil)
                        Layout.fillWidth: true
                        wrapMode: Text.Wrap
                    }
                    Button {
                        objectName: "settingsDevicesButton"
                        text: qsTr("My devices…")
                        onClicked: page.openDevices()
                    }
                }
            }
            GroupBox {
                title: qsTr("Keyboard")
                Layout.fillWidth: true
                Label {
                    width: parent.width
                    wrapMode: Text.Wrap
                    text: qsTr("Ctrl+1 chats · Ctrl+2 channels · Ctrl+F search · Ctrl+4 clearance · Ctrl+5 settings · Ctrl+N new group · Enter send · Shift+Enter new line · in messages: R reply, F forward · Esc close")
                }
            }
        }
    }
}
