// A question before an action that cannot be undone: the text says what will happen; the action
// runs only on the confirming button (Escape or the other button cancel).
import QtQuick
import QtQuick.Controls
import GChat

Dialog {
    id: dialog
    property string text: ""
    property string confirmText: qsTr("Yes")
    signal confirmed()
    anchors.centerIn: parent
    width: Math.min(parent ? parent.width - 40 : 480, 480)
    modal: true
    contentItem: Label {
        wrapMode: Text.Wrap
        text: dialog.text
    }
    footer: DialogButtonBox {
        Button {
            objectName: dialog.objectName + "Yes"
            text: dialog.confirmText
            highlighted: true
            DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
        }
        Button { text: qsTr("Cancel"); DialogButtonBox.buttonRole: DialogButtonBox.RejectRole }
    }
    onAccepted: confirmed()
}
