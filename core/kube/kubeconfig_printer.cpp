// SPDX-License-Identifier: Apache-2.0
#include "kube/kubeconfig_printer.h"

#include "kube/kubeconfig_yaml_scalar.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>

namespace podtap::kube {

namespace {

using Kind = KubeconfigValue::Kind;

const QString kDataOmitted = QStringLiteral("DATA+OMITTED");
const QString kRedacted = QStringLiteral("REDACTED");

void putString(KubeconfigValue &map, const char *key, const QString &value, bool always = false)
{
    if (always || !value.isEmpty()) {
        map.insert(QLatin1String(key), KubeconfigValue::string(value));
    }
}

void putData(KubeconfigValue &map, const char *key, const QByteArray &value, bool redact)
{
    if (!value.isEmpty()) {
        map.insert(
            QLatin1String(key), KubeconfigValue::string(redact ? kDataOmitted : QString::fromLatin1(value.toBase64())));
    }
}

void putExtensions(KubeconfigValue &map, const KubeconfigExtensions &extensions)
{
    if (extensions.isEmpty()) {
        return;
    }
    KubeconfigValue list = KubeconfigValue::emptyList();
    for (auto it = extensions.cbegin(); it != extensions.cend(); ++it) {
        KubeconfigValue item = KubeconfigValue::emptyMap();
        item.insert(QStringLiteral("name"), KubeconfigValue::string(it.key()));
        item.insert(QStringLiteral("extension"), it.value());
        list.list.append(item);
    }
    map.insert(QStringLiteral("extensions"), list);
}

KubeconfigValue clusterValue(const KubeconfigClusterEntry &c, bool redact)
{
    KubeconfigValue v = KubeconfigValue::emptyMap();
    putString(v, "server", c.server, true);
    putString(v, "tls-server-name", c.tlsServerName);
    if (c.insecureSkipTlsVerify) {
        v.insert(QStringLiteral("insecure-skip-tls-verify"), KubeconfigValue::boolean_(true));
    }
    putString(v, "certificate-authority", c.certificateAuthority);
    putData(v, "certificate-authority-data", c.certificateAuthorityData, redact);
    putString(v, "proxy-url", c.proxyUrl);
    if (c.disableCompression) {
        v.insert(QStringLiteral("disable-compression"), KubeconfigValue::boolean_(true));
    }
    putExtensions(v, c.extensions);
    return v;
}

KubeconfigValue userValue(const KubeconfigUserEntry &u, bool redact)
{
    KubeconfigValue v = KubeconfigValue::emptyMap();
    putString(v, "client-certificate", u.clientCertificate);
    putData(v, "client-certificate-data", u.clientCertificateData, redact);
    putString(v, "client-key", u.clientKey);
    putData(v, "client-key-data", u.clientKeyData, redact);
    putString(v, "token", u.token.isEmpty() || !redact ? u.token : kRedacted);
    putString(v, "tokenFile", u.tokenFile);
    putString(v, "as", u.impersonate);
    putString(v, "as-uid", u.impersonateUid);
    if (u.impersonateGroups && !u.impersonateGroups->isEmpty()) {
        v.insert(QStringLiteral("as-groups"), KubeconfigValue::stringList(*u.impersonateGroups));
    }
    if (u.impersonateUserExtra && !u.impersonateUserExtra->isEmpty()) {
        KubeconfigValue extra = KubeconfigValue::emptyMap();
        for (auto it = u.impersonateUserExtra->cbegin(); it != u.impersonateUserExtra->cend(); ++it) {
            extra.insert(it.key(), KubeconfigValue::stringList(it.value()));
        }
        v.insert(QStringLiteral("as-user-extra"), extra);
    }
    putString(v, "username", u.username);
    putString(v, "password", u.password.isEmpty() || !redact ? u.password : kRedacted);
    if (u.authProvider) {
        KubeconfigValue ap = KubeconfigValue::emptyMap();
        putString(ap, "name", u.authProvider->name, true);
        KubeconfigValue config;
        if (u.authProvider->config) {
            config = KubeconfigValue::emptyMap();
            for (auto it = u.authProvider->config->cbegin(); it != u.authProvider->config->cend(); ++it) {
                config.insert(it.key(), KubeconfigValue::string(it.value()));
            }
        }
        ap.insert(QStringLiteral("config"), config);
        v.insert(QStringLiteral("auth-provider"), ap);
    }
    if (u.exec) {
        const KubeconfigExecEntry &e = *u.exec;
        KubeconfigValue ex = KubeconfigValue::emptyMap();
        putString(ex, "command", e.command, true);
        ex.insert(QStringLiteral("args"), e.args ? KubeconfigValue::stringList(*e.args) : KubeconfigValue());
        KubeconfigValue env;
        if (e.env) {
            env = KubeconfigValue::emptyList();
            for (const auto &[name, value] : *e.env) {
                KubeconfigValue var = KubeconfigValue::emptyMap();
                var.insert(QStringLiteral("name"), KubeconfigValue::string(name));
                var.insert(QStringLiteral("value"), KubeconfigValue::string(value));
                env.list.append(var);
            }
        }
        ex.insert(QStringLiteral("env"), env);
        putString(ex, "apiVersion", e.apiVersion, true);
        putString(ex, "installHint", e.installHint);
        ex.insert(QStringLiteral("provideClusterInfo"), KubeconfigValue::boolean_(e.provideClusterInfo));
        putString(ex, "interactiveMode", e.interactiveMode);
        v.insert(QStringLiteral("exec"), ex);
    }
    putExtensions(v, u.extensions);
    return v;
}

KubeconfigValue contextValue(const KubeconfigContextEntry &c)
{
    KubeconfigValue v = KubeconfigValue::emptyMap();
    putString(v, "cluster", c.cluster, true);
    putString(v, "user", c.user, true);
    putString(v, "namespace", c.namespaceName);
    putExtensions(v, c.extensions);
    return v;
}

template<typename Entry, typename Make>
KubeconfigValue namedList(const QMap<QString, Entry> &entries, const char *bodyName, Make make)
{
    if (entries.isEmpty()) {
        return {};
    }
    // kubectl prints names in Go's byte order, which QMap's UTF-16 order matches outside surrogates.
    KubeconfigValue list = KubeconfigValue::emptyList();
    for (auto it = entries.cbegin(); it != entries.cend(); ++it) {
        KubeconfigValue item = KubeconfigValue::emptyMap();
        item.insert(QStringLiteral("name"), KubeconfigValue::string(it.key()));
        item.insert(QLatin1String(bodyName), make(it.value()));
        list.list.append(item);
    }
    return list;
}

// ---- Go encoding/json ----

void goJsonString(QByteArray &out, const QString &s)
{
    out += '"';
    const QByteArray utf8 = s.toUtf8();
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < utf8.size(); ++i) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '<':
        case '>':
        case '&':
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xf];
            break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xf];
            } else if (c == 0xe2 && i + 2 < utf8.size() && static_cast<unsigned char>(utf8[i + 1]) == 0x80 &&
                (static_cast<unsigned char>(utf8[i + 2]) == 0xa8 || static_cast<unsigned char>(utf8[i + 2]) == 0xa9)) {
                out += static_cast<unsigned char>(utf8[i + 2]) == 0xa8 ? "\\u2028" : "\\u2029";
                i += 2;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    out += '"';
}

void goJson(QByteArray &out, const KubeconfigValue &v, int depth)
{
    const QByteArray indent(4 * (depth + 1), ' ');
    const QByteArray closing(4 * depth, ' ');
    switch (v.kind) {
    case Kind::Null:
        out += "null";
        return;
    case Kind::Bool:
        out += v.boolean ? "true" : "false";
        return;
    case Kind::Number:
        out += v.text.toUtf8();
        return;
    case Kind::String:
        goJsonString(out, v.text);
        return;
    case Kind::List:
        if (v.list.isEmpty()) {
            out += "[]";
            return;
        }
        out += "[\n";
        for (int i = 0; i < v.list.size(); ++i) {
            out += indent;
            goJson(out, v.list[i], depth + 1);
            out += i + 1 < v.list.size() ? ",\n" : "\n";
        }
        out += closing + "]";
        return;
    case Kind::Map:
        if (v.map.isEmpty()) {
            out += "{}";
            return;
        }
        out += "{\n";
        for (int i = 0; i < v.map.size(); ++i) {
            out += indent;
            goJsonString(out, v.map[i].first);
            out += ": ";
            goJson(out, v.map[i].second, depth + 1);
            out += i + 1 < v.map.size() ? ",\n" : "\n";
        }
        out += closing + "}";
        return;
    }
}

// ---- go-yaml v2 emitter ----

/// go-yaml's key order: numbers inside keys compare by value, letters sort after other characters.
bool goYamlKeyLess(const QString &a, const QString &b)
{
    const QList<uint> ar = a.toUcs4();
    const QList<uint> br = b.toUcs4();
    for (qsizetype i = 0; i < ar.size() && i < br.size(); ++i) {
        if (ar[i] == br[i]) {
            continue;
        }
        const bool al = QChar::isLetter(ar[i]);
        const bool bl = QChar::isLetter(br[i]);
        if (al && bl) {
            return ar[i] < br[i];
        }
        if (al || bl) {
            return bl;
        }
        qint64 an = 0;
        qint64 bn = 0;
        if (ar[i] == '0' || br[i] == '0') {
            for (qsizetype j = i - 1; j >= 0 && QChar::isDigit(ar[j]); --j) {
                if (ar[j] != '0') {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        qsizetype ai = i;
        qsizetype bi = i;
        for (; ai < ar.size() && QChar::isDigit(ar[ai]); ++ai) {
            an = an * 10 + (ar[ai] - '0');
        }
        for (; bi < br.size() && QChar::isDigit(br[bi]); ++bi) {
            bn = bn * 10 + (br[bi] - '0');
        }
        if (an != bn) {
            return an < bn;
        }
        if (ai != bi) {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    return ar.size() < br.size();
}

bool isYamlPrintable(uint c)
{
    return c == 0x0A || (c >= 0x20 && c <= 0x7E) || c == 0x85 || (c >= 0xA0 && c <= 0xD7FF) ||
        (c >= 0xE000 && c <= 0xFFFD && c != 0xFEFF) || (c >= 0x10000 && c <= 0x10FFFF);
}

struct ScalarAnalysis
{
    bool blockPlainAllowed = true;
    bool singleQuotedAllowed = true;
    bool blockAllowed = true;
    bool multiline = false;
};

ScalarAnalysis analyzeScalar(const QString &s)
{
    ScalarAnalysis result;
    if (s.isEmpty()) {
        result.blockPlainAllowed = false;
        result.blockAllowed = false;
        return result;
    }
    const QList<uint> c = s.toUcs4();
    bool blockIndicators = false;
    bool leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false;
    bool breakSpace = false, spaceBreak = false, previousSpace = false, previousBreak = false;
    bool lineBreaks = false, special = false;
    if (s.startsWith(QLatin1String("---")) || s.startsWith(QLatin1String("..."))) {
        blockIndicators = true;
    }
    bool precededByWhitespace = true;
    auto blank = [&](qsizetype i) {
        return i >= c.size() || c[i] == ' ' || c[i] == '\t' || c[i] == '\n' || c[i] == '\r';
    };
    for (qsizetype i = 0; i < c.size(); ++i) {
        const uint ch = c[i];
        const bool followedByWhitespace = blank(i + 1);
        if (i == 0) {
            switch (ch) {
            case '#':
            case ',':
            case '[':
            case ']':
            case '{':
            case '}':
            case '&':
            case '*':
            case '!':
            case '|':
            case '>':
            case '\'':
            case '"':
            case '%':
            case '@':
            case '`':
                blockIndicators = true;
                break;
            case '?':
            case ':':
            case '-':
                if (followedByWhitespace) {
                    blockIndicators = true;
                }
                break;
            default:
                break;
            }
        } else {
            if (ch == ':' && followedByWhitespace) {
                blockIndicators = true;
            }
            if (ch == '#' && precededByWhitespace) {
                blockIndicators = true;
            }
        }
        if (!isYamlPrintable(ch)) {
            special = true;
        }
        const bool isBreak = ch == '\n' || ch == '\r';
        if (isBreak) {
            lineBreaks = true;
        }
        if (ch == ' ') {
            if (i == 0) {
                leadingSpace = true;
            }
            if (i == c.size() - 1) {
                trailingSpace = true;
            }
            if (previousBreak) {
                breakSpace = true;
            }
            previousSpace = true;
            previousBreak = false;
        } else if (isBreak) {
            if (i == 0) {
                leadingBreak = true;
            }
            if (i == c.size() - 1) {
                trailingBreak = true;
            }
            if (previousSpace) {
                spaceBreak = true;
            }
            previousSpace = false;
            previousBreak = true;
        } else {
            previousSpace = false;
            previousBreak = false;
        }
        precededByWhitespace = ch == ' ' || ch == '\t' || isBreak;
    }
    result.multiline = lineBreaks;
    if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
        result.blockPlainAllowed = false;
    }
    if (trailingSpace) {
        result.blockAllowed = false;
    }
    if (breakSpace) {
        result.blockPlainAllowed = false;
        result.singleQuotedAllowed = false;
    }
    if (spaceBreak || special) {
        result.blockPlainAllowed = false;
        result.singleQuotedAllowed = false;
        result.blockAllowed = false;
    }
    if (lineBreaks) {
        result.blockPlainAllowed = false;
    }
    if (blockIndicators) {
        result.blockPlainAllowed = false;
    }
    return result;
}

bool resolvesToNonString(const QString &s)
{
    if (s == QLatin1String("<<")) {
        return false;
    }
    if (YamlPlainScalar::resolve(s).type != YamlPlainScalar::Type::String) {
        return true;
    }
    static const QRegularExpression base60(QStringLiteral(R"(^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$)"));
    return base60.match(s).hasMatch();
}

/// Keys longer than this are written as explicit entries, as go-yaml (kubectl's YAML) does.
constexpr qsizetype kMaxSimpleKeyBytes = 128;

class YamlWriter
{
public:
    QByteArray result() const { return m_out.toUtf8(); }

    void writeTopMap(const KubeconfigValue &map) { writeMapEntries(map, 0, false); }

private:
    QString m_out;
    qsizetype m_column = 0;

    void write(const QString &s)
    {
        m_out += s;
        const qsizetype newline = s.lastIndexOf(QLatin1Char('\n'));
        m_column = newline < 0 ? m_column + s.toUcs4().size() : s.size() - newline - 1;
    }

    void newline(int indent) { write(QStringLiteral("\n") + QString(indent, QLatin1Char(' '))); }

    static QList<QPair<QString, KubeconfigValue>> sorted(const KubeconfigValue &map)
    {
        auto entries = map.map;
        std::stable_sort(entries.begin(), entries.end(),
            [](const auto &a, const auto &b) { return goYamlKeyLess(a.first, b.first); });
        return entries;
    }

    /// Writes a map's entries; the first starts where the cursor is when @p inlineFirst.
    void writeMapEntries(const KubeconfigValue &map, int indent, bool inlineFirst)
    {
        bool first = true;
        for (const auto &[key, value] : sorted(map)) {
            if (!(first && inlineFirst)) {
                write(QString(indent, QLatin1Char(' ')));
            }
            first = false;
            if (key.toUtf8().size() > kMaxSimpleKeyBytes) {
                // Like go-yaml: a long key is written as an explicit entry ("? key" / ": value"), since
                // YAML does not allow implicit keys over 1024 characters.
                write(QStringLiteral("? "));
                writeScalarString(key, indent + 2, false);
                if (m_column != 0) {
                    write(QStringLiteral("\n"));
                }
                write(QString(indent, QLatin1Char(' ')) + QStringLiteral(":"));
                writeAfterIndicator(value, indent, true);
                continue;
            }
            writeScalarString(key, indent, true);
            write(QStringLiteral(":"));
            writeAfterIndicator(value, indent, true);
        }
    }

    void writeListItems(const KubeconfigValue &list, int indent, bool inlineFirst)
    {
        bool first = true;
        for (const auto &item : list.list) {
            if (!(first && inlineFirst)) {
                write(QString(indent, QLatin1Char(' ')));
            }
            first = false;
            write(QStringLiteral("-"));
            writeAfterIndicator(item, indent, false);
        }
    }

    /// After "key:" (@p afterKey) or "-": the value, then a newline.
    void writeAfterIndicator(const KubeconfigValue &value, int indent, bool afterKey)
    {
        switch (value.kind) {
        case Kind::Map:
            if (value.map.isEmpty()) {
                write(QStringLiteral(" {}\n"));
            } else if (afterKey) {
                write(QStringLiteral("\n"));
                writeMapEntries(value, indent + 2, false);
            } else {
                write(QStringLiteral(" "));
                writeMapEntries(value, indent + 2, true);
            }
            return;
        case Kind::List:
            if (value.list.isEmpty()) {
                write(QStringLiteral(" []\n"));
            } else if (afterKey) {
                write(QStringLiteral("\n"));
                writeListItems(value, indent, false);
            } else {
                write(QStringLiteral(" "));
                writeListItems(value, indent + 2, true);
            }
            return;
        case Kind::Null:
            write(QStringLiteral(" null\n"));
            return;
        case Kind::Bool:
            write(value.boolean ? QStringLiteral(" true\n") : QStringLiteral(" false\n"));
            return;
        case Kind::Number:
            write(QStringLiteral(" ") + value.text + QStringLiteral("\n"));
            return;
        case Kind::String:
            write(QStringLiteral(" "));
            writeScalarString(value.text, indent, false);
            write(QStringLiteral("\n"));
            return;
        }
    }

    void writeScalarString(const QString &s, int indent, bool simpleKey)
    {
        const ScalarAnalysis a = analyzeScalar(s);
        const bool wantLiteral = s.contains(QLatin1Char('\n'));
        if (wantLiteral && !simpleKey && a.blockAllowed) {
            writeLiteral(s, indent);
            return;
        }
        if (!wantLiteral && !resolvesToNonString(s) && a.blockPlainAllowed) {
            writeFolded(s, indent, !simpleKey, false);
            return;
        }
        if (!wantLiteral && !resolvesToNonString(s) && a.singleQuotedAllowed) {
            write(QStringLiteral("'"));
            writeFolded(s, indent, !simpleKey, true);
            write(QStringLiteral("'"));
            return;
        }
        writeDoubleQuoted(s);
    }

    /// Plain or single-quoted text, folded at a space once past column 80 as go-yaml does.
    void writeFolded(const QString &s, int indent, bool allowBreaks, bool singleQuoted)
    {
        const QList<uint> c = s.toUcs4();
        bool spaces = false;
        for (qsizetype i = 0; i < c.size(); ++i) {
            const uint ch = c[i];
            if (ch == ' ') {
                const bool nextIsSpace = i + 1 < c.size() && c[i + 1] == ' ';
                const bool edge = singleQuoted && (i == 0 || i == c.size() - 1);
                if (allowBreaks && !spaces && m_column > 80 && !nextIsSpace && !edge) {
                    newline(indent + 2);
                } else {
                    write(QStringLiteral(" "));
                }
                spaces = true;
                continue;
            }
            spaces = false;
            if (singleQuoted && ch == '\'') {
                write(QStringLiteral("''"));
            } else {
                write(QString::fromUcs4(reinterpret_cast<const char32_t *>(&ch), 1));
            }
        }
    }

    void writeLiteral(const QString &s, int indent)
    {
        QString chomp = QStringLiteral("-");
        if (s.endsWith(QLatin1String("\n\n"))) {
            chomp = QStringLiteral("+");
        } else if (s.endsWith(QLatin1Char('\n'))) {
            chomp.clear();
        }
        write(QStringLiteral("|") + (s.startsWith(QLatin1Char(' ')) ? QStringLiteral("2") : QString()) + chomp);
        QStringList lines = s.split(QLatin1Char('\n'));
        if (s.endsWith(QLatin1Char('\n'))) {
            lines.removeLast();
        }
        for (const QString &line : lines) {
            write(QStringLiteral("\n"));
            if (!line.isEmpty()) {
                write(QString(indent + 2, QLatin1Char(' ')) + line);
            }
        }
    }

    void writeDoubleQuoted(const QString &s)
    {
        QString out = QStringLiteral("\"");
        for (const uint ch : s.toUcs4()) {
            switch (ch) {
            case '"':
                out += QStringLiteral("\\\"");
                break;
            case '\\':
                out += QStringLiteral("\\\\");
                break;
            case '\t':
                out += QStringLiteral("\\t");
                break;
            case '\n':
                out += QStringLiteral("\\n");
                break;
            case '\r':
                out += QStringLiteral("\\r");
                break;
            case 0:
                out += QStringLiteral("\\0");
                break;
            default:
                if (!isYamlPrintable(ch)) {
                    if (ch <= 0xFF) {
                        out += QStringLiteral("\\x%1")
                                   .arg(ch, 2, 16, QLatin1Char('0'))
                                   .toUpper()
                                   .replace(QLatin1String("\\X"), QLatin1String("\\x"));
                    } else if (ch <= 0xFFFF) {
                        out += QStringLiteral("\\u%1")
                                   .arg(ch, 4, 16, QLatin1Char('0'))
                                   .toUpper()
                                   .replace(QLatin1String("\\U"), QLatin1String("\\u"));
                    } else {
                        out += QStringLiteral("\\U%1").arg(ch, 8, 16, QLatin1Char('0')).toUpper();
                    }
                } else {
                    out += QString::fromUcs4(reinterpret_cast<const char32_t *>(&ch), 1);
                }
            }
        }
        out += QLatin1Char('"');
        write(out);
    }
};

/// kubectl's FlattenContent: a path becomes the file's bytes, resolved against the origin's folder.
QString flattenContent(QString &path, QByteArray &data, const QString &origin)
{
    if (path.isEmpty()) {
        return {};
    }
    if (!data.isEmpty()) {
        return QStringLiteral("cannot have values for both path and contents");
    }
    const QString absolute = QDir::isAbsolutePath(path)
        ? QDir::cleanPath(path)
        : QDir::cleanPath(QFileInfo(origin).absolutePath() + QLatin1Char('/') + path);
    QFile file(absolute);
    if (!file.open(QIODevice::ReadOnly)) {
        return QStringLiteral("open %1: %2").arg(absolute, file.errorString());
    }
    data = file.readAll();
    path.clear();
    return {};
}

} // namespace

KubeconfigValue KubeconfigPrinter::toValue(const KubeconfigDocument &d, bool redact)
{
    KubeconfigValue v = KubeconfigValue::emptyMap();
    v.insert(QStringLiteral("kind"), KubeconfigValue::string(QStringLiteral("Config")));
    v.insert(QStringLiteral("apiVersion"), KubeconfigValue::string(QStringLiteral("v1")));
    KubeconfigValue prefs = KubeconfigValue::emptyMap();
    if (d.colors) {
        prefs.insert(QStringLiteral("colors"), KubeconfigValue::boolean_(true));
    }
    putExtensions(prefs, d.preferenceExtensions);
    v.insert(QStringLiteral("preferences"), prefs);
    v.insert(QStringLiteral("clusters"),
        namedList(d.clusters, "cluster", [redact](const auto &c) { return clusterValue(c, redact); }));
    v.insert(
        QStringLiteral("users"), namedList(d.users, "user", [redact](const auto &u) { return userValue(u, redact); }));
    v.insert(
        QStringLiteral("contexts"), namedList(d.contexts, "context", [](const auto &c) { return contextValue(c); }));
    v.insert(QStringLiteral("current-context"), KubeconfigValue::string(d.currentContext));
    putExtensions(v, d.extensions);
    return v;
}

QByteArray KubeconfigPrinter::toGoJson(const KubeconfigValue &value)
{
    QByteArray out;
    goJson(out, value, 0);
    out += '\n';
    return out;
}

QByteArray KubeconfigPrinter::toGoYaml(const KubeconfigValue &value)
{
    YamlWriter writer;
    writer.writeTopMap(value);
    return writer.result();
}

KubeconfigViewResult KubeconfigPrinter::view(KubeconfigDocument d, const KubeconfigViewOptions &options)
{
    KubeconfigViewResult result;
    if (options.minify) {
        if (!options.context.isEmpty()) {
            d.currentContext = options.context;
        }
        if (d.currentContext.isEmpty()) {
            result.error = QStringLiteral("current-context must exist in order to minify");
            return result;
        }
        if (!d.contexts.contains(d.currentContext)) {
            result.error = QStringLiteral("cannot locate context %1").arg(d.currentContext);
            return result;
        }
        const KubeconfigContextEntry context = d.contexts.value(d.currentContext);
        decltype(d.clusters) clusters;
        decltype(d.users) users;
        if (!context.cluster.isEmpty()) {
            if (!d.clusters.contains(context.cluster)) {
                result.error = QStringLiteral("cannot locate cluster %1").arg(context.cluster);
                return result;
            }
            clusters.insert(context.cluster, d.clusters.value(context.cluster));
        }
        if (!context.user.isEmpty()) {
            if (!d.users.contains(context.user)) {
                result.error = QStringLiteral("cannot locate user %1").arg(context.user);
                return result;
            }
            users.insert(context.user, d.users.value(context.user));
        }
        d.clusters = clusters;
        d.users = users;
        d.contexts = {{d.currentContext, context}};
    }
    if (options.flatten) {
        for (auto &user : d.users) {
            QString error = flattenContent(user.clientCertificate, user.clientCertificateData, user.origin);
            if (error.isEmpty()) {
                error = flattenContent(user.clientKey, user.clientKeyData, user.origin);
            }
            if (!error.isEmpty()) {
                result.error = error;
                return result;
            }
        }
        for (auto &cluster : d.clusters) {
            const QString error =
                flattenContent(cluster.certificateAuthority, cluster.certificateAuthorityData, cluster.origin);
            if (!error.isEmpty()) {
                result.error = error;
                return result;
            }
        }
    }
    const KubeconfigValue value = toValue(d, !options.flatten && !options.raw);
    result.output = options.format == KubeconfigViewOptions::Format::Json ? toGoJson(value) : toGoYaml(value);
    return result;
}

} // namespace podtap::kube
