// The conversation's classification, impossible to miss: a full-width bar in the level's colour
// with the Thai label first, at the top of the conversation and again on the composer.
import QtQuick
import QtQuick.Controls
import GChat

Rectangle {
    id: banner
    property int level: 0
    property bool compact: false
    visible: level > 0
    implicitHeight: visible ? text.implicitHeight + (compact ? 6 : 12) : 0
    color: Backend.levelColor(level)
    Accessible.role: Accessible.AlertMessage
    Accessible.name: text.text
    Label {
        id: text
        anchors.centerIn: parent
        width: parent.width - 16
        horizontalAlignment: Text.AlignHCenter
        wrapMode: Text.Wrap
        color: "white"
        font.bold: true
        font.letterSpacing: 1
        font.pointSize: Theme.fontSize * (banner.compact ? 0.9 : 1.1)
        text: banner.compact ? Backend.levelLabel(banner.level)
                             : Backend.levelLabel(banner.level) + "  ·  " + qsTr("Only for people cleared for this level")
    }
}
