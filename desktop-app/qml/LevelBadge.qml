// A classification level as a coloured pill: "ลับมาก / SECRET". Shown on every classified
// conversation, person and channel; for ทั่วไป only when showUnclassified is set.
import QtQuick
import QtQuick.Controls
import GChat

Rectangle {
    id: badge
    property int level: 0
    property string prefix: ""
    property bool showUnclassified: true
    visible: level > 0 || showUnclassified
    implicitWidth: label.implicitWidth + 14
    implicitHeight: label.implicitHeight + 4
    radius: height / 2
    color: Backend.levelColor(level)
    border.color: "white"
    border.width: level > 0 ? 1 : 0
    Accessible.role: Accessible.StaticText
    Accessible.name: label.text
    Label {
        id: label
        anchors.centerIn: parent
        text: badge.prefix + Backend.levelLabel(badge.level)
        color: "white"
        font.bold: true
        font.pointSize: Theme.fontSize * 0.85
    }
}
