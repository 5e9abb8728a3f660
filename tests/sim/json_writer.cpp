// SPDX-License-Identifier: Apache-2.0
#include "json_writer.h"

#include <QJsonArray>
#include <QJsonObject>

#include <charconv>
#include <cmath>

namespace podtap::sim {

JsonWriter::JsonWriter(qsizetype reserve)
{
    m_out.reserve(reserve);
    m_first.reserve(16);
}

void JsonWriter::separate()
{
    if (m_afterKey) {
        m_afterKey = false;
        return;
    }
    if (!m_first.empty()) {
        if (m_first.back()) {
            m_first.back() = false;
        } else {
            m_out.append(',');
        }
    }
}

JsonWriter &JsonWriter::beginObject()
{
    separate();
    m_out.append('{');
    m_first.push_back(true);
    return *this;
}

JsonWriter &JsonWriter::endObject()
{
    m_out.append('}');
    m_first.pop_back();
    return *this;
}

JsonWriter &JsonWriter::beginArray()
{
    separate();
    m_out.append('[');
    m_first.push_back(true);
    return *this;
}

JsonWriter &JsonWriter::endArray()
{
    m_out.append(']');
    m_first.pop_back();
    return *this;
}

JsonWriter &JsonWriter::key(const char *name)
{
    separate();
    m_out.append('"');
    appendEscaped(m_out, name, qsizetype(strlen(name)));
    m_out.append("\":", 2);
    m_afterKey = true;
    return *this;
}

JsonWriter &JsonWriter::key(const QByteArray &name)
{
    separate();
    m_out.append('"');
    appendEscaped(m_out, name.constData(), name.size());
    m_out.append("\":", 2);
    m_afterKey = true;
    return *this;
}

void JsonWriter::appendEscaped(QByteArray &out, const char *data, qsizetype size)
{
    static const char hex[] = "0123456789abcdef";
    qsizetype start = 0;
    for (qsizetype i = 0; i < size; ++i) {
        const auto c = static_cast<unsigned char>(data[i]);
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        out.append(data + start, i - start);
        start = i + 1;
        switch (c) {
        case '"':
            out.append("\\\"", 2);
            break;
        case '\\':
            out.append("\\\\", 2);
            break;
        case '\n':
            out.append("\\n", 2);
            break;
        case '\r':
            out.append("\\r", 2);
            break;
        case '\t':
            out.append("\\t", 2);
            break;
        default: {
            const char escaped[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
            out.append(escaped, 6);
        }
        }
    }
    out.append(data + start, size - start);
}

JsonWriter &JsonWriter::string(const QByteArray &utf8)
{
    separate();
    m_out.append('"');
    appendEscaped(m_out, utf8.constData(), utf8.size());
    m_out.append('"');
    return *this;
}

JsonWriter &JsonWriter::string(const char *utf8)
{
    separate();
    m_out.append('"');
    appendEscaped(m_out, utf8, qsizetype(strlen(utf8)));
    m_out.append('"');
    return *this;
}

JsonWriter &JsonWriter::number(qint64 value)
{
    separate();
    char buffer[24];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    m_out.append(buffer, result.ptr - buffer);
    return *this;
}

JsonWriter &JsonWriter::number(double value)
{
    if (!std::isfinite(value)) {
        return null();
    }
    if (value == std::floor(value) && std::fabs(value) < 9e15) {
        return number(qint64(value));
    }
    separate();
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    m_out.append(buffer, result.ptr - buffer);
    return *this;
}

JsonWriter &JsonWriter::boolean(bool value)
{
    separate();
    if (value) {
        m_out.append("true", 4);
    } else {
        m_out.append("false", 5);
    }
    return *this;
}

JsonWriter &JsonWriter::null()
{
    separate();
    m_out.append("null", 4);
    return *this;
}

JsonWriter &JsonWriter::raw(const QByteArray &json)
{
    separate();
    m_out.append(json);
    return *this;
}

JsonWriter &JsonWriter::value(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return null();
    case QJsonValue::Bool:
        return boolean(value.toBool());
    case QJsonValue::Double:
        return number(value.toDouble());
    case QJsonValue::String:
        return string(value.toString().toUtf8());
    case QJsonValue::Array: {
        beginArray();
        const QJsonArray array = value.toArray();
        for (const QJsonValue &element : array) {
            this->value(element);
        }
        return endArray();
    }
    case QJsonValue::Object: {
        beginObject();
        const QJsonObject object = value.toObject();
        for (auto it = object.begin(); it != object.end(); ++it) {
            key(it.key().toUtf8());
            this->value(it.value());
        }
        return endObject();
    }
    }
    return null();
}

QByteArray JsonWriter::take()
{
    QByteArray out = std::move(m_out);
    clear();
    return out;
}

void JsonWriter::clear()
{
    m_out.clear();
    m_first.clear();
    m_afterKey = false;
}

} // namespace podtap::sim
