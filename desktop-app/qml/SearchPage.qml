// Search every conversation on this device (Thai words are found inside sentences); a result
// opens its conversation.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

ColumnLayout {
    spacing: 0
    function focusQuery() { query.forceActiveFocus(); query.selectAll() }
    Label { text: qsTr("Search"); font.bold: true; font.pointSize: Theme.fontSize * 1.3; Layout.margins: 10 }
    TextField {
        id: query
        objectName: "searchField"
        Layout.fillWidth: true
        Layout.leftMargin: 10
        Layout.rightMargin: 10
        placeholderText: qsTr("Words to find, in Thai or English")
        onAccepted: Backend.search(text)
        Keys.onDownPressed: results.forceActiveFocus()
    }
    Label {
        visible: results.count === 0 && query.text !== ""
        Layout.margins: 16
        color: Theme.muted
        text: qsTr("Press Enter to search.")
    }
    ListView {
        id: results
        objectName: "searchResults"
        Layout.fillWidth: true
        Layout.fillHeight: true
        clip: true
        model: Backend.searchResults
        keyNavigationEnabled: true
        Keys.onReturnPressed: if (currentItem) currentItem.clicked()
        delegate: ItemDelegate {
            id: hit
            required property var model
            width: ListView.view.width
            onClicked: Backend.openConversation(model.conversationId)
            contentItem: ColumnLayout {
                RowLayout {
                    Label { text: hit.model.conversationTitle; font.bold: true; Layout.fillWidth: true; elide: Text.ElideRight }
                    Label { text: hit.model.time; color: Theme.muted; font.pointSize: Theme.fontSize * 0.85 }
                }
                Label {
                    Layout.fillWidth: true
                    text: hit.model.senderName + ": " + hit.model.text
                    wrapMode: Text.Wrap
                    maximumLineCount: 3
                    elide: Text.ElideRight
                }
            }
        }
    }
}
