// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QJsonValue>
#include <QString>

#include <vector>

namespace podtap::sim {

/// @brief Appends compact JSON to a byte buffer, fast enough for lists of 100k pods.
class JsonWriter final
{
public:
    explicit JsonWriter(qsizetype reserve = 4096);

    JsonWriter &beginObject();
    JsonWriter &endObject();
    JsonWriter &beginArray();
    JsonWriter &endArray();
    JsonWriter &key(const char *name);
    JsonWriter &key(const QByteArray &name);

    JsonWriter &string(const QByteArray &utf8);
    JsonWriter &string(const char *utf8);
    JsonWriter &string(const QString &text) { return string(text.toUtf8()); }
    JsonWriter &number(qint64 value);
    JsonWriter &number(double value);
    JsonWriter &boolean(bool value);
    JsonWriter &null();
    /// Writes a value already encoded as JSON.
    JsonWriter &raw(const QByteArray &json);
    JsonWriter &value(const QJsonValue &value);

    // key + value shorthands
    JsonWriter &field(const char *name, const QByteArray &utf8) { return key(name).string(utf8); }
    JsonWriter &field(const char *name, const char *utf8) { return key(name).string(utf8); }
    JsonWriter &field(const char *name, qint64 number) { return key(name).number(number); }
    JsonWriter &field(const char *name, int number) { return key(name).number(qint64(number)); }
    JsonWriter &field(const char *name, bool flag) { return key(name).boolean(flag); }

    const QByteArray &data() const { return m_out; }
    QByteArray take();
    void clear();
    qsizetype size() const { return m_out.size(); }

    static void appendEscaped(QByteArray &out, const char *data, qsizetype size);

private:
    void separate();

    QByteArray m_out;
    std::vector<bool> m_first; // per open container: no element written yet
    bool m_afterKey = false;
};

} // namespace podtap::sim
