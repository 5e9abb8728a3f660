// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace podtap {

/// @brief Renders a Kubernetes object as YAML with the yaml-cpp emitter.
///
/// Strings a YAML reader would take for a number, a boolean or null ("4789", "true", "on", "~")
/// are double-quoted, so kubectl reads back exactly the JSON types given here. @p leadingComment
/// (one or more lines) is emitted as `#` comments above the object.
QByteArray toYaml(const QJsonObject &object, const QString &leadingComment = {});

/// Several objects as one multi-document stream (`---` between them), ready for `kubectl create -f -`.
QByteArray toYamlStream(const QList<QJsonObject> &objects);

/// Parses every YAML document in @p yaml back into JSON objects (scalars that look like numbers
/// or booleans and are not quoted become numbers or booleans). Returns false and fills @p error
/// when the text is not YAML or a document is not a mapping.
bool parseYamlStream(const QByteArray &yaml, QList<QJsonObject> *objects, QString *error);

} // namespace podtap
