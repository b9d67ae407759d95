// One section of the rail: a symbol over its name, an unread count when there is one.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

ToolButton {
    id: b
    property string glyph: ""
    property bool selected: false
    property int badge: 0
    implicitWidth: Math.max(72, content.implicitWidth + 12)
    implicitHeight: content.implicitHeight + 14
    focusPolicy: Qt.StrongFocus
    Accessible.name: text
    background: Rectangle {
        radius: 8
        color: b.selected ? Theme.selection : b.hovered || b.visualFocus ? "#dfe6ec" : "transparent"
        border.color: b.visualFocus ? Theme.brand : "transparent"
    }
    contentItem: ColumnLayout {
        id: content
        spacing: 2
        Label { text: b.glyph; font.pointSize: Theme.fontSize * 1.4; Layout.alignment: Qt.AlignHCenter }
        Label {
            text: b.text
            font.pointSize: Theme.fontSize * 0.85
            font.bold: b.selected
            color: b.selected ? Theme.brand : "#33414a"
            Layout.alignment: Qt.AlignHCenter
        }
    }
    Rectangle {
        visible: b.badge > 0
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.margins: 2
        width: Math.max(height, count.implicitWidth + 8)
        height: count.implicitHeight + 2
        radius: height / 2
        color: "#e53935"
        Label { id: count; anchors.centerIn: parent; text: b.badge; color: "white"; font.pointSize: Theme.fontSize * 0.75 }
    }
}
