// A notice about the person's own identity across the top of the window, under the header: a change
// of their clearance (with the new level's badge, until dismissed) or a warning that this device's
// certificate is about to end. Its colours are not a classification colour, so it cannot be read as
// the classification of the open conversation; the badge says the level.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

Rectangle {
    id: banner
    property string text: ""
    property string detail: ""
    property string glyph: "ⓘ"
    property int level: -1                 // a level badge before the text when >= 0
    property string tone: "info"           // "info", "warning", "danger"
    property string dismissText: ""        // a button that dismisses it when set
    signal dismissed()
    visible: text !== ""
    implicitHeight: visible ? row.implicitHeight + 16 : 0
    color: tone === "danger" ? "#fdecea" : tone === "warning" ? "#fff3e0" : "#fff8e1"
    border.color: tone === "danger" ? "#e0a9a3" : tone === "warning" ? "#f5b971" : "#eed27a"
    readonly property color ink: tone === "danger" ? "#8a1c12" : tone === "warning" ? "#6d3a00" : "#4a3a00"
    Accessible.role: Accessible.AlertMessage
    Accessible.name: text + " " + detail

    RowLayout {
        id: row
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.verticalCenter: parent.verticalCenter
        anchors.leftMargin: 12
        anchors.rightMargin: 12
        spacing: 10
        Label {
            text: banner.glyph
            color: banner.ink
            font.pointSize: Theme.fontSize * 1.4
            Layout.alignment: Qt.AlignVCenter
        }
        LevelBadge {
            visible: banner.level >= 0
            level: Math.max(banner.level, 0)
            Layout.alignment: Qt.AlignVCenter
        }
        ColumnLayout {
            Layout.fillWidth: true
            spacing: 2
            Label {
                objectName: banner.objectName + "Text"
                Layout.fillWidth: true
                text: banner.text
                color: banner.ink
                font.bold: true
                wrapMode: Text.Wrap
            }
            Label {
                objectName: banner.objectName + "Detail"
                visible: banner.detail !== ""
                Layout.fillWidth: true
                text: banner.detail
                color: banner.ink
                wrapMode: Text.Wrap
            }
        }
        Button {
            objectName: banner.objectName + "Dismiss"
            visible: banner.dismissText !== ""
            text: banner.dismissText
            Layout.alignment: Qt.AlignVCenter
            onClicked: banner.dismissed()
        }
    }
}
