// SPDX-License-Identifier: Apache-2.0
#include "tap/manifest_yaml.h"

#include <QJsonValue>
#include <QRegularExpression>

#include <yaml-cpp/yaml.h>

#include <cmath>

namespace podtap {
namespace {

// Scalars that YAML 1.1 (what the Go YAML reader behind kubectl follows) resolves to something
// other than a string. Such strings must be quoted or `args: ["--port", "4789"]` becomes a number.
bool looksLikeNonString(const QString &text)
{
    static const QRegularExpression re(QStringLiteral(
        "^(?:|~|[-+]?[0-9].*|[-+]?\\.[0-9].*|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN)|"
        "y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$"));
    return re.match(text).hasMatch();
}

void emitValue(YAML::Emitter &out, const QJsonValue &value);

void emitObject(YAML::Emitter &out, const QJsonObject &object)
{
    out << YAML::BeginMap;
    for (auto it = object.begin(); it != object.end(); ++it) {
        out << YAML::Key << it.key().toStdString() << YAML::Value;
        emitValue(out, it.value());
    }
    out << YAML::EndMap;
}

void emitValue(YAML::Emitter &out, const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Object:
        emitObject(out, value.toObject());
        break;
    case QJsonValue::Array: {
        const QJsonArray array = value.toArray();
        if (array.isEmpty()) {
            out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
            break;
        }
        out << YAML::BeginSeq;
        for (const QJsonValue &item : array) {
            emitValue(out, item);
        }
        out << YAML::EndSeq;
        break;
    }
    case QJsonValue::String: {
        const QString text = value.toString();
        // A literal block (`|`) reads back with exactly one final newline: only a text that ends with one
        // round-trips through it (a target list does not).
        if (text.contains(QLatin1Char('\n')) && text.endsWith(QLatin1Char('\n')) &&
            !text.endsWith(QStringLiteral("\n\n"))) {
            out << YAML::Literal << text.toStdString();
        } else if (looksLikeNonString(text)) {
            out << YAML::DoubleQuoted << text.toStdString();
        } else {
            out << text.toStdString();
        }
        break;
    }
    case QJsonValue::Bool:
        out << value.toBool();
        break;
    case QJsonValue::Double: {
        const double d = value.toDouble();
        if (std::floor(d) == d && std::fabs(d) < 9.007199254740992e15) {
            out << static_cast<long long>(d);
        } else {
            out << d;
        }
        break;
    }
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        out << YAML::Null;
        break;
    }
}

bool isPlainNumber(const std::string &text, double *number)
{
    static const QRegularExpression re(QStringLiteral("^[-+]?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$"));
    const QString q = QString::fromStdString(text);
    if (!re.match(q).hasMatch()) {
        return false;
    }
    bool ok = false;
    *number = q.toDouble(&ok);
    return ok;
}

QJsonValue toJson(const YAML::Node &node, int depth)
{
    if (depth > 64) {
        throw YAML::Exception(node.Mark(), "nesting deeper than 64 levels");
    }
    switch (node.Type()) {
    case YAML::NodeType::Map: {
        QJsonObject object;
        for (const auto &entry : node) {
            object.insert(QString::fromStdString(entry.first.Scalar()), toJson(entry.second, depth + 1));
        }
        return object;
    }
    case YAML::NodeType::Sequence: {
        QJsonArray array;
        for (const auto &item : node) {
            array.append(toJson(item, depth + 1));
        }
        return array;
    }
    case YAML::NodeType::Scalar: {
        const std::string &text = node.Scalar();
        if (node.Tag() == "!") {
            return QString::fromStdString(text); // quoted in the source: always a string
        }
        if (text == "true" || text == "false") {
            return text == "true";
        }
        if (text == "null" || text == "~") {
            return QJsonValue::Null;
        }
        double number = 0;
        if (isPlainNumber(text, &number)) {
            return number;
        }
        return QString::fromStdString(text);
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        return QJsonValue::Null;
    }
    return QJsonValue::Null;
}

} // namespace

QByteArray toYaml(const QJsonObject &object, const QString &leadingComment)
{
    YAML::Emitter out;
    out.SetIndent(2);
    out.SetSeqFormat(YAML::Block);
    if (!leadingComment.isEmpty()) {
        out << YAML::Comment(leadingComment.toStdString()) << YAML::Newline;
    }
    emitObject(out, object);
    QByteArray text(out.c_str(), qsizetype(out.size()));
    if (!text.endsWith('\n')) {
        text += '\n';
    }
    return text;
}

QByteArray toYamlStream(const QList<QJsonObject> &objects)
{
    QByteArray stream;
    for (qsizetype i = 0; i < objects.size(); ++i) {
        if (i > 0) {
            stream += "---\n";
        }
        stream += toYaml(objects.at(i));
    }
    return stream;
}

bool parseYamlStream(const QByteArray &yaml, QList<QJsonObject> *objects, QString *error)
{
    try {
        const std::vector<YAML::Node> documents = YAML::LoadAll(yaml.toStdString());
        QList<QJsonObject> parsed;
        for (const YAML::Node &document : documents) {
            if (document.IsNull()) {
                continue;
            }
            if (!document.IsMap()) {
                if (error) {
                    *error = QStringLiteral("YAML document %1 is not a mapping").arg(parsed.size() + 1);
                }
                return false;
            }
            parsed.append(toJson(document, 0).toObject());
        }
        if (objects) {
            *objects = parsed;
        }
        return true;
    } catch (const YAML::Exception &e) {
        if (error) {
            *error = QStringLiteral("not valid YAML: %1").arg(QString::fromStdString(e.what()));
        }
        return false;
    }
}

} // namespace podtap
