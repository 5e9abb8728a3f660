// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QByteArrayList>
#include <QString>

#include <memory>

namespace podtap::sim {

/// @brief A throwaway CA made at startup: it issues the server and client certificates and
/// checks that a client certificate is its own.
class CertAuthority final
{
public:
    struct Issued
    {
        QByteArray certPem;
        QByteArray keyPem;
    };
    /// The CN and O of a verified client certificate.
    struct Subject
    {
        QByteArray user;
        QByteArrayList groups;
    };

    CertAuthority();
    ~CertAuthority();
    CertAuthority(const CertAuthority &) = delete;
    CertAuthority &operator=(const CertAuthority &) = delete;

    /// False (and errorString()) when the OpenSSL calls failed.
    bool isValid() const { return m_valid; }
    QString errorString() const { return m_error; }
    QByteArray caPem() const { return m_caPem; }

    Issued issueServer(const QByteArrayList &ipAddresses, const QByteArrayList &dnsNames);
    Issued issueClient(const QByteArray &user, const QByteArray &group);
    /// Checks @p der was signed by this CA and is valid now; returns the subject or nothing.
    bool verifyClient(const QByteArray &der, Subject *subject) const;

private:
    struct Private;
    std::unique_ptr<Private> d;
    QByteArray m_caPem;
    QString m_error;
    bool m_valid = false;
};

} // namespace podtap::sim
