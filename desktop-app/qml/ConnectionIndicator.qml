// The relay connection, always in the header: a dot (green connected, amber connecting or
// retrying, grey offline) and a sentence.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

RowLayout {
    spacing: 6
    Rectangle {
        width: 10
        height: 10
        radius: 5
        color: Backend.connectionState === 3 ? "#43a047"
             : (Backend.connectionState === 2 || Backend.connectionState === 4) ? "#ffb300" : "#9e9e9e"
    }
    Label {
        objectName: "connectionText"
        text: Backend.connectionText
        color: "white"
    }
}
