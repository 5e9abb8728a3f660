// SPDX-License-Identifier: Apache-2.0
#include "kube/kubeconfig_document.h"

#include "common/text_escape.h"
#include "kube/kubeconfig_yaml_scalar.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocale>

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <stdexcept>

namespace podtap::kube {

KubeconfigValue KubeconfigValue::string(const QString &s)
{
    KubeconfigValue v;
    v.kind = Kind::String;
    v.text = s;
    return v;
}

KubeconfigValue KubeconfigValue::boolean_(bool b)
{
    KubeconfigValue v;
    v.kind = Kind::Bool;
    v.boolean = b;
    return v;
}

KubeconfigValue KubeconfigValue::stringList(const QStringList &items)
{
    KubeconfigValue v;
    v.kind = Kind::List;
    for (const QString &item : items) {
        v.list.append(string(item));
    }
    return v;
}

KubeconfigValue KubeconfigValue::emptyMap()
{
    KubeconfigValue v;
    v.kind = Kind::Map;
    return v;
}

KubeconfigValue KubeconfigValue::emptyList()
{
    KubeconfigValue v;
    v.kind = Kind::List;
    return v;
}

void KubeconfigValue::insert(const QString &key, KubeconfigValue value)
{
    map.append({key, std::move(value)});
}

namespace {

/// Thrown inside the parser only; caught per entry so one bad entry never hides the others.
struct FieldError : std::runtime_error
{
    explicit FieldError(const QString &message)
        : std::runtime_error(message.toStdString())
    {
    }
};

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

/// Walks one entry, naming the file, entry and field in every error.
class EntryReader
{
public:
    EntryReader(QString file, QString entry)
        : m_file(std::move(file))
        , m_entry(std::move(entry))
    {
    }

    [[noreturn]] void fail(const QString &field, const QString &reason) const
    {
        throw FieldError(QStringLiteral("kubeconfig %1: %2: field \"%3\": %4").arg(m_file, m_entry, field, reason));
    }

    static bool isPlain(const YAML::Node &node) { return node.Tag() == "?" || node.Tag().empty(); }

    QString string(const YAML::Node &node, const QString &field) const
    {
        if (!node || node.IsNull()) {
            return {};
        }
        if (!node.IsScalar()) {
            fail(field, QStringLiteral("expected a string, found a %1").arg(node.IsMap() ? u"map" : u"list"));
        }
        const QString value = qs(node.Scalar());
        if (isPlain(node)) {
            const auto resolved = YamlPlainScalar::resolve(value);
            if (resolved.type == YamlPlainScalar::Type::Bool || resolved.type == YamlPlainScalar::Type::Int ||
                resolved.type == YamlPlainScalar::Type::Float) {
                fail(field,
                    QStringLiteral("expected a string, found %1 (put it in quotes)").arg(quoteForMessage(value)));
            }
        }
        return value;
    }

    bool boolean(const YAML::Node &node, const QString &field) const
    {
        if (!node || node.IsNull()) {
            return false;
        }
        if (node.IsScalar() && isPlain(node)) {
            const auto resolved = YamlPlainScalar::resolve(qs(node.Scalar()));
            if (resolved.type == YamlPlainScalar::Type::Bool) {
                return resolved.boolean;
            }
        }
        fail(field, QStringLiteral("expected true or false"));
    }

    QByteArray data(const YAML::Node &node, const QString &field) const
    {
        QByteArray text = string(node, field).toLatin1();
        text.replace('\n', QByteArray()).replace('\r', QByteArray());
        auto decoded = QByteArray::fromBase64Encoding(text, QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded) {
            fail(field, QStringLiteral("not valid base64; *-data fields hold the file's contents in base64"));
        }
        return *decoded;
    }

    std::optional<QStringList> stringList(const YAML::Node &node, const QString &field) const
    {
        if (!node || node.IsNull()) {
            return std::nullopt;
        }
        if (!node.IsSequence()) {
            fail(field, QStringLiteral("expected a list of strings"));
        }
        QStringList out;
        int index = 0;
        for (const auto &item : node) {
            out << string(item, QStringLiteral("%1[%2]").arg(field).arg(index++));
        }
        return out;
    }

    void requireMap(const YAML::Node &node, const QString &field) const
    {
        if (node && !node.IsNull() && !node.IsMap()) {
            fail(field, QStringLiteral("expected a map"));
        }
    }

    KubeconfigExtensions extensions(const YAML::Node &node, const QString &field) const;

private:
    QString m_file;
    QString m_entry;
};

/// A number as Go's encoding/json writes it after YAML decoded it (1.50 -> 1.5, 1e3 -> 1000).
QString goNumberText(const YamlPlainScalar &resolved)
{
    if (resolved.type == YamlPlainScalar::Type::Int) {
        return resolved.canonical;
    }
    const double value = resolved.canonical.toDouble();
    const double magnitude = std::abs(value);
    if (value == 0 || (magnitude >= 1e-6 && magnitude < 1e21)) {
        return QString::number(value, 'f', QLocale::FloatingPointShortest);
    }
    return QString::number(value, 'g', QLocale::FloatingPointShortest);
}

/// A map key as it ends up in JSON: plain `yes`/`n` are booleans and `0x10` a number in YAML 1.1.
QString keyText(const YAML::Node &key)
{
    const QString text = qs(key.Scalar());
    if (!EntryReader::isPlain(key)) {
        return text;
    }
    const auto resolved = YamlPlainScalar::resolve(text);
    switch (resolved.type) {
    case YamlPlainScalar::Type::Null:
        return QStringLiteral("null");
    case YamlPlainScalar::Type::Bool:
        return resolved.boolean ? QStringLiteral("true") : QStringLiteral("false");
    case YamlPlainScalar::Type::Int:
    case YamlPlainScalar::Type::Float:
        return goNumberText(resolved);
    default:
        return text;
    }
}

/// Converts arbitrary YAML into a JSON-shaped value; @p budget caps the nodes visited so alias
/// bombs ("billion laughs") end in an error instead of exhausting memory.
KubeconfigValue toValue(const YAML::Node &node, int &budget, int depth)
{
    if (--budget < 0 || depth > 200) {
        throw FieldError(QStringLiteral("extension content is too large or too deeply nested"));
    }
    KubeconfigValue value;
    if (!node || node.IsNull()) {
        return value;
    }
    if (node.IsScalar()) {
        const QString text = qs(node.Scalar());
        if (EntryReader::isPlain(node)) {
            const auto resolved = YamlPlainScalar::resolve(text);
            switch (resolved.type) {
            case YamlPlainScalar::Type::Null:
                return value;
            case YamlPlainScalar::Type::Bool:
                return KubeconfigValue::boolean_(resolved.boolean);
            case YamlPlainScalar::Type::Int:
            case YamlPlainScalar::Type::Float:
                // A float out of a double's range stays the text it was, as Go's YAML reads it; JSON
                // has no infinity or NaN either.
                if (bool finite = false; resolved.type == YamlPlainScalar::Type::Float &&
                    (!std::isfinite(resolved.canonical.toDouble(&finite)) || !finite)) {
                    return KubeconfigValue::string(text);
                }
                value.kind = KubeconfigValue::Kind::Number;
                value.text = goNumberText(resolved);
                return value;
            default:
                break;
            }
        }
        return KubeconfigValue::string(text);
    }
    if (node.IsSequence()) {
        value.kind = KubeconfigValue::Kind::List;
        for (const auto &item : node) {
            value.list.append(toValue(item, budget, depth + 1));
        }
        return value;
    }
    value.kind = KubeconfigValue::Kind::Map;
    QMap<QString, KubeconfigValue> sorted;
    for (const auto &pair : node) {
        if (!pair.first.IsScalar()) {
            throw FieldError(QStringLiteral("extension content has a map key that is not a string"));
        }
        sorted.insert(keyText(pair.first), toValue(pair.second, budget, depth + 1));
    }
    for (auto it = sorted.cbegin(); it != sorted.cend(); ++it) {
        value.insert(it.key(), it.value());
    }
    return value;
}

KubeconfigExtensions EntryReader::extensions(const YAML::Node &node, const QString &field) const
{
    KubeconfigExtensions out;
    if (!node || node.IsNull()) {
        return out;
    }
    if (!node.IsSequence()) {
        fail(field, QStringLiteral("expected a list of {name, extension}"));
    }
    int index = 0;
    for (const auto &item : node) {
        const QString itemField = QStringLiteral("%1[%2]").arg(field).arg(index++);
        if (!item.IsMap()) {
            fail(itemField, QStringLiteral("expected a map with name and extension"));
        }
        int budget = 100000;
        try {
            out.insert(
                string(item["name"], itemField + QStringLiteral(".name")), toValue(item["extension"], budget, 0));
        } catch (const FieldError &e) {
            fail(itemField + QStringLiteral(".extension"), QString::fromStdString(e.what()));
        }
    }
    return out;
}

QString describeEntry(const char *list, int index, const QString &name)
{
    return name.isEmpty() ? QStringLiteral("%1[%2]").arg(QLatin1String(list)).arg(index)
                          : QStringLiteral("%1 entry %2").arg(QLatin1String(list), quoteForMessage(name));
}

KubeconfigClusterEntry parseCluster(const EntryReader &r, const YAML::Node &n)
{
    KubeconfigClusterEntry c;
    r.requireMap(n, QStringLiteral("cluster"));
    if (!n || n.IsNull()) {
        return c;
    }
    c.server = r.string(n["server"], QStringLiteral("server"));
    c.tlsServerName = r.string(n["tls-server-name"], QStringLiteral("tls-server-name"));
    c.insecureSkipTlsVerify = r.boolean(n["insecure-skip-tls-verify"], QStringLiteral("insecure-skip-tls-verify"));
    c.certificateAuthority = r.string(n["certificate-authority"], QStringLiteral("certificate-authority"));
    c.certificateAuthorityData = r.data(n["certificate-authority-data"], QStringLiteral("certificate-authority-data"));
    c.proxyUrl = r.string(n["proxy-url"], QStringLiteral("proxy-url"));
    c.disableCompression = r.boolean(n["disable-compression"], QStringLiteral("disable-compression"));
    c.extensions = r.extensions(n["extensions"], QStringLiteral("extensions"));
    return c;
}

KubeconfigUserEntry parseUser(const EntryReader &r, const YAML::Node &n)
{
    KubeconfigUserEntry u;
    r.requireMap(n, QStringLiteral("user"));
    if (!n || n.IsNull()) {
        return u;
    }
    u.clientCertificate = r.string(n["client-certificate"], QStringLiteral("client-certificate"));
    u.clientCertificateData = r.data(n["client-certificate-data"], QStringLiteral("client-certificate-data"));
    u.clientKey = r.string(n["client-key"], QStringLiteral("client-key"));
    u.clientKeyData = r.data(n["client-key-data"], QStringLiteral("client-key-data"));
    u.token = r.string(n["token"], QStringLiteral("token"));
    u.tokenFile = r.string(n["tokenFile"], QStringLiteral("tokenFile"));
    u.impersonate = r.string(n["as"], QStringLiteral("as"));
    u.impersonateUid = r.string(n["as-uid"], QStringLiteral("as-uid"));
    u.impersonateGroups = r.stringList(n["as-groups"], QStringLiteral("as-groups"));
    if (const YAML::Node extra = n["as-user-extra"]; extra && !extra.IsNull()) {
        r.requireMap(extra, QStringLiteral("as-user-extra"));
        QMap<QString, QStringList> map;
        for (const auto &pair : extra) {
            const QString key = r.string(pair.first, QStringLiteral("as-user-extra"));
            map.insert(key, r.stringList(pair.second, QStringLiteral("as-user-extra.") + key).value_or(QStringList()));
        }
        u.impersonateUserExtra = map;
    }
    u.username = r.string(n["username"], QStringLiteral("username"));
    u.password = r.string(n["password"], QStringLiteral("password"));
    if (const YAML::Node ap = n["auth-provider"]; ap && !ap.IsNull()) {
        r.requireMap(ap, QStringLiteral("auth-provider"));
        KubeconfigAuthProviderEntry provider;
        provider.name = r.string(ap["name"], QStringLiteral("auth-provider.name"));
        if (const YAML::Node config = ap["config"]; config && !config.IsNull()) {
            r.requireMap(config, QStringLiteral("auth-provider.config"));
            QMap<QString, QString> map;
            for (const auto &pair : config) {
                const QString key = r.string(pair.first, QStringLiteral("auth-provider.config"));
                map.insert(key, r.string(pair.second, QStringLiteral("auth-provider.config.") + key));
            }
            provider.config = map;
        }
        u.authProvider = provider;
    }
    if (const YAML::Node ex = n["exec"]; ex && !ex.IsNull()) {
        r.requireMap(ex, QStringLiteral("exec"));
        KubeconfigExecEntry exec;
        exec.command = r.string(ex["command"], QStringLiteral("exec.command"));
        exec.args = r.stringList(ex["args"], QStringLiteral("exec.args"));
        if (const YAML::Node env = ex["env"]; env && !env.IsNull()) {
            if (!env.IsSequence()) {
                r.fail(QStringLiteral("exec.env"), QStringLiteral("expected a list of {name, value}"));
            }
            QList<QPair<QString, QString>> vars;
            int index = 0;
            for (const auto &item : env) {
                const QString field = QStringLiteral("exec.env[%1]").arg(index++);
                if (!item.IsMap()) {
                    r.fail(field, QStringLiteral("expected a map with name and value"));
                }
                vars.append({r.string(item["name"], field + QStringLiteral(".name")),
                    r.string(item["value"], field + QStringLiteral(".value"))});
            }
            exec.env = vars;
        }
        exec.apiVersion = r.string(ex["apiVersion"], QStringLiteral("exec.apiVersion"));
        exec.installHint = r.string(ex["installHint"], QStringLiteral("exec.installHint"));
        exec.provideClusterInfo = r.boolean(ex["provideClusterInfo"], QStringLiteral("exec.provideClusterInfo"));
        exec.interactiveMode = r.string(ex["interactiveMode"], QStringLiteral("exec.interactiveMode"));
        // client-go's defaulting: the older API versions default to IfAvailable, v1 must say.
        if (exec.interactiveMode.isEmpty() &&
            (exec.apiVersion == QLatin1String("client.authentication.k8s.io/v1beta1") ||
                exec.apiVersion == QLatin1String("client.authentication.k8s.io/v1alpha1"))) {
            exec.interactiveMode = QStringLiteral("IfAvailable");
        }
        u.exec = exec;
    }
    u.extensions = r.extensions(n["extensions"], QStringLiteral("extensions"));
    return u;
}

KubeconfigContextEntry parseContext(const EntryReader &r, const YAML::Node &n)
{
    KubeconfigContextEntry c;
    r.requireMap(n, QStringLiteral("context"));
    if (!n || n.IsNull()) {
        return c;
    }
    c.cluster = r.string(n["cluster"], QStringLiteral("cluster"));
    c.user = r.string(n["user"], QStringLiteral("user"));
    c.namespaceName = r.string(n["namespace"], QStringLiteral("namespace"));
    c.extensions = r.extensions(n["extensions"], QStringLiteral("extensions"));
    return c;
}

template<typename Entry, typename Parse>
void parseList(KubeconfigDocument &doc, QMap<QString, Entry> &out, const YAML::Node &list, const char *listName,
    const char *bodyName, const QString &file, Parse parse)
{
    if (!list || list.IsNull()) {
        return;
    }
    if (!list.IsSequence()) {
        doc.fileError =
            QStringLiteral("kubeconfig %1: field \"%2\": expected a list. Fix the file or remove it from KUBECONFIG.")
                .arg(file, QLatin1String(listName));
        return;
    }
    int index = 0;
    for (const auto &item : list) {
        QString name;
        Entry entry;
        QString description = describeEntry(listName, index, QString());
        try {
            if (!item.IsMap()) {
                EntryReader(file, description)
                    .fail(QString(), QStringLiteral("expected a map with name and %1").arg(QLatin1String(bodyName)));
            }
            name = EntryReader(file, description).string(item["name"], QStringLiteral("name"));
            description = describeEntry(listName, index, name);
            EntryReader reader(file, description);
            if (name.isEmpty()) {
                reader.fail(QStringLiteral("name"), QStringLiteral("missing; every entry needs a name"));
            }
            entry = parse(reader, item[bodyName]);
            if (out.contains(name)) {
                reader.fail(QStringLiteral("name"), QStringLiteral("defined twice in this file; rename one"));
            }
        } catch (const FieldError &e) {
            entry.error = QString::fromStdString(e.what());
        } catch (const YAML::Exception &e) {
            entry.error = QStringLiteral("kubeconfig %1: %2: %3").arg(file, description, qs(e.what()));
        }
        entry.origin = file;
        if (!out.contains(name)) {
            out.insert(name, entry);
        } else if (!entry.error.isEmpty()) {
            out[name].error = entry.error;
        }
        ++index;
    }
}

} // namespace

KubeconfigDocument KubeconfigDocument::fromFile(const QString &path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    KubeconfigDocument doc;
    QFile file(absolute);
    if (!file.open(QIODevice::ReadOnly)) {
        doc.fileError = QStringLiteral("kubeconfig %1: cannot read it: %2").arg(absolute, file.errorString());
        return doc;
    }
    if (file.size() > kMaxFileSize) {
        doc.fileError = QStringLiteral("kubeconfig %1: %2 bytes is larger than the %3 MiB a kubeconfig may have; "
                                       "point KUBECONFIG at the right file")
                            .arg(absolute)
                            .arg(file.size())
                            .arg(kMaxFileSize / 1024 / 1024);
        return doc;
    }
    return fromYaml(file.read(kMaxFileSize + 1), absolute);
}

KubeconfigDocument KubeconfigDocument::fromYaml(const QByteArray &yaml, const QString &path)
{
    KubeconfigDocument doc;
    if (yaml.size() > kMaxFileSize) {
        doc.fileError = QStringLiteral("kubeconfig %1: larger than %2 MiB").arg(path).arg(kMaxFileSize / 1024 / 1024);
        return doc;
    }
    if (yaml.contains('\0')) {
        doc.fileError = QStringLiteral("kubeconfig %1: contains NUL bytes, so it is not a YAML kubeconfig; "
                                       "point KUBECONFIG at the right file")
                            .arg(path);
        return doc;
    }
    try {
        const YAML::Node root = YAML::Load(yaml.toStdString());
        if (!root || root.IsNull()) {
            return doc;
        }
        if (!root.IsMap()) {
            doc.fileError =
                QStringLiteral("kubeconfig %1: the top level is not a map with clusters, users and contexts").arg(path);
            return doc;
        }
        EntryReader top(path, QStringLiteral("top level"));
        try {
            doc.currentContext = top.string(root["current-context"], QStringLiteral("current-context"));
            if (const YAML::Node prefs = root["preferences"]; prefs && !prefs.IsNull()) {
                top.requireMap(prefs, QStringLiteral("preferences"));
                doc.colors = top.boolean(prefs["colors"], QStringLiteral("preferences.colors"));
                doc.preferenceExtensions =
                    top.extensions(prefs["extensions"], QStringLiteral("preferences.extensions"));
            }
            doc.extensions = top.extensions(root["extensions"], QStringLiteral("extensions"));
        } catch (const FieldError &e) {
            doc.fileError = QString::fromStdString(e.what());
            return doc;
        }
        parseList(doc, doc.clusters, root["clusters"], "clusters", "cluster", path, parseCluster);
        parseList(doc, doc.users, root["users"], "users", "user", path, parseUser);
        parseList(doc, doc.contexts, root["contexts"], "contexts", "context", path, parseContext);
    } catch (const YAML::Exception &e) {
        doc = KubeconfigDocument();
        doc.fileError = QStringLiteral("kubeconfig %1: not valid YAML: %2. Fix the file or remove it from KUBECONFIG.")
                            .arg(path, qs(e.what()));
    } catch (const std::exception &e) {
        doc = KubeconfigDocument();
        doc.fileError = QStringLiteral("kubeconfig %1: cannot parse it: %2").arg(path, qs(e.what()));
    }
    return doc;
}

void KubeconfigDocument::mergeFrom(const KubeconfigDocument &later)
{
    for (auto it = later.clusters.cbegin(); it != later.clusters.cend(); ++it) {
        if (!clusters.contains(it.key())) {
            clusters.insert(it.key(), it.value());
        }
    }
    for (auto it = later.users.cbegin(); it != later.users.cend(); ++it) {
        if (!users.contains(it.key())) {
            users.insert(it.key(), it.value());
        }
    }
    for (auto it = later.contexts.cbegin(); it != later.contexts.cend(); ++it) {
        if (!contexts.contains(it.key())) {
            contexts.insert(it.key(), it.value());
        }
    }
    if (currentContext.isEmpty()) {
        currentContext = later.currentContext;
    }
    colors = colors || later.colors;
    for (auto it = later.preferenceExtensions.cbegin(); it != later.preferenceExtensions.cend(); ++it) {
        if (!preferenceExtensions.contains(it.key())) {
            preferenceExtensions.insert(it.key(), it.value());
        }
    }
    for (auto it = later.extensions.cbegin(); it != later.extensions.cend(); ++it) {
        if (!extensions.contains(it.key())) {
            extensions.insert(it.key(), it.value());
        }
    }
}

} // namespace podtap::kube
