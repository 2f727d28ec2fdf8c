//! Fixed vocabularies the world is built from: names, process images, Windows codes.

pub(crate) const FIRST_NAMES: [&str; 56] = [
    "james",
    "mary",
    "john",
    "patricia",
    "robert",
    "jennifer",
    "michael",
    "linda",
    "william",
    "elizabeth",
    "david",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "daniel",
    "nancy",
    "matthew",
    "lisa",
    "anthony",
    "betty",
    "mark",
    "margaret",
    "donald",
    "sandra",
    "steven",
    "ashley",
    "paul",
    "kimberly",
    "andrew",
    "emily",
    "joshua",
    "donna",
    "kenneth",
    "michelle",
    "kevin",
    "carol",
    "brian",
    "amanda",
    "george",
    "melissa",
    "timothy",
    "deborah",
    "ronald",
    "stephanie",
    "anna",
    "lukas",
    "sofia",
    "mateo",
    "yuki",
    "priya",
];

pub(crate) const LAST_NAMES: [&str; 60] = [
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "thomas",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "perez",
    "thompson",
    "white",
    "harris",
    "sanchez",
    "clark",
    "ramirez",
    "lewis",
    "robinson",
    "walker",
    "young",
    "allen",
    "king",
    "wright",
    "scott",
    "torres",
    "nguyen",
    "hill",
    "flores",
    "green",
    "adams",
    "nelson",
    "baker",
    "hall",
    "rivera",
    "campbell",
    "mitchell",
    "carter",
    "roberts",
    "mueller",
    "schmidt",
    "kowalski",
    "novak",
    "rossi",
    "dubois",
    "tanaka",
    "sato",
    "kumar",
    "singh",
];

/// Prefix of the separate admin accounts people use for privileged work.
pub(crate) const ADMIN_PREFIX: &str = "adm_";

pub(crate) const SERVICE_ACCOUNTS: [&str; 40] = [
    "svc_backup",
    "svc_sql01",
    "svc_sql02",
    "svc_sql03",
    "svc_iis",
    "svc_sharepoint",
    "svc_exchange",
    "svc_sccm",
    "svc_wsus",
    "svc_scan",
    "svc_print",
    "svc_monitor",
    "svc_splunk",
    "svc_veeam",
    "svc_jenkins",
    "svc_gitlab",
    "svc_ldapbind",
    "svc_adfs",
    "svc_citrix",
    "svc_vmware",
    "svc_antivirus",
    "svc_patch",
    "svc_report",
    "svc_etl",
    "svc_crm",
    "svc_erp",
    "svc_hr",
    "svc_payroll",
    "svc_ftp",
    "svc_sftp",
    "svc_mail",
    "svc_dns",
    "svc_dhcp",
    "svc_radius",
    "svc_pki",
    "svc_nps",
    "svc_azuread",
    "svc_okta",
    "svc_tableau",
    "svc_kafka",
];

/// Built-in accounts: (name, domain, SID).
pub(crate) const WELL_KNOWN: [(&str, &str, &str); 6] = [
    ("SYSTEM", "NT AUTHORITY", "S-1-5-18"),
    ("LOCAL SERVICE", "NT AUTHORITY", "S-1-5-19"),
    ("NETWORK SERVICE", "NT AUTHORITY", "S-1-5-20"),
    ("ANONYMOUS LOGON", "NT AUTHORITY", "S-1-5-7"),
    ("DWM-1", "Window Manager", "S-1-5-90-0-1"),
    ("UMFD-0", "Font Driver Host", "S-1-5-96-0-0"),
];
/// Index of SYSTEM within [`WELL_KNOWN`].
pub(crate) const SYSTEM: u32 = 0;

/// Names tried by password-guessing from outside; they exist nowhere.
pub(crate) const BOGUS_USERS: [&str; 30] = [
    "administrator",
    "admin",
    "test",
    "user",
    "guest",
    "scanner",
    "backup",
    "root",
    "sa",
    "oracle",
    "ftp",
    "support",
    "user1",
    "test1",
    "admin1",
    "demo",
    "postgres",
    "mysql",
    "webadmin",
    "sysadmin",
    "operator",
    "manager",
    "office",
    "reception",
    "info",
    "sales",
    "helpdesk",
    "training",
    "temp",
    "kiosk",
];

pub(crate) const SERVER_ROLES: [&str; 12] = [
    "FS", "SQL", "APP", "WEB", "EXCH", "PRT", "BKP", "CTX", "HV", "SCCM", "WSUS", "ADFS",
];

/// Process images with argument templates (`{user}`, `{n}`, `{hex}` are filled in).
pub(crate) const PROCESSES: [(&str, &[&str]); 24] = [
    (
        r"C:\Windows\System32\svchost.exe",
        &[
            "-k netsvcs -p -s Schedule",
            "-k LocalServiceNetworkRestricted -p",
            "-k DcomLaunch -p",
            "-k wsappx -p -s AppXSvc",
            "-k UnistackSvcGroup -s CDPUserSvc_{hex}",
        ],
    ),
    (
        r"C:\Windows\System32\cmd.exe",
        &[
            "/c echo {n}",
            "/c dir C:\\Users\\{user}",
            "/c ipconfig /all",
            "/c net use Z: \\\\srv-fs01\\share{n}",
            "/c whoami /groups",
        ],
    ),
    (
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        &[
            "-NoProfile -ExecutionPolicy Bypass -File C:\\Scripts\\job{n}.ps1",
            "-Command Get-Service",
            "-NoLogo -NonInteractive -Command Invoke-Command -ScriptBlock { Get-Process }",
            "-EncodedCommand {hex}{hex}{hex}",
        ],
    ),
    (r"C:\Windows\explorer.exe", &[""]),
    (
        r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
        &["/n \"C:\\Users\\{user}\\Documents\\report_{n}.docx\"", "/n"],
    ),
    (
        r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE",
        &["\"C:\\Users\\{user}\\Documents\\budget_{n}.xlsx\""],
    ),
    (
        r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
        &["/recycle", ""],
    ),
    (
        r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        &[
            "--type=renderer --field-trial-handle={n},{hex}",
            "--type=gpu-process --gpu-preferences={hex}",
            "--type=utility --utility-sub-type=network.mojom.NetworkService",
        ],
    ),
    (
        r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
        &[
            "--type=renderer --renderer-client-id={n}",
            "--profile-directory=Default",
        ],
    ),
    (r"C:\Windows\System32\conhost.exe", &["0xffffffff -ForceV1"]),
    (
        r"C:\Windows\System32\rundll32.exe",
        &[
            "C:\\Windows\\System32\\shell32.dll,SHCreateLocalServerRunDll {{hex}-0000-0000-0000-{hex}}",
            "printui.dll,PrintUIEntry /in /n\\\\srv-prt01\\printer{n}",
        ],
    ),
    (r"C:\Windows\System32\taskhostw.exe", &["", "KEYROAMING"]),
    (
        r"C:\Windows\System32\wbem\WmiPrvSE.exe",
        &["-secured -Embedding", "-Embedding"],
    ),
    (
        r"C:\Windows\System32\net.exe",
        &[
            "use",
            "user {user} /domain",
            "group \"Domain Admins\" /domain",
        ],
    ),
    (
        r"C:\Windows\System32\gpupdate.exe",
        &["/target:computer", "/force"],
    ),
    (
        r"C:\Windows\System32\msiexec.exe",
        &["/V", "/i C:\\Windows\\ccmcache\\{n}\\setup.msi /qn"],
    ),
    (
        r"C:\Windows\System32\sc.exe",
        &["query state= all", "start svc{n}"],
    ),
    (
        r"C:\Windows\System32\schtasks.exe",
        &["/query /fo LIST", "/run /tn \"Backup{n}\""],
    ),
    (
        r"C:\Windows\System32\reg.exe",
        &["query HKLM\\Software\\Vendor{n}"],
    ),
    (
        r"C:\Windows\System32\backgroundTaskHost.exe",
        &["-ServerName:App.AppXa{hex}.mca"],
    ),
    (
        r"C:\Windows\System32\SearchProtocolHost.exe",
        &["Global\\UsGthrFltPipeMssGthrPipe{n}"],
    ),
    (r"C:\Windows\System32\lsass.exe", &[""]),
    (r"C:\Windows\System32\services.exe", &[""]),
    (r"C:\Windows\System32\winlogon.exe", &[""]),
];
/// Indices of processes the generator names directly.
pub(crate) const PROC_CMD: u32 = 1;
pub(crate) const PROC_POWERSHELL: u32 = 2;
pub(crate) const PROC_EXPLORER: u32 = 3;
pub(crate) const PROC_SVCHOST: u32 = 0;
pub(crate) const PROC_LSASS: u32 = 21;
pub(crate) const PROC_SERVICES: u32 = 22;
pub(crate) const PROC_WINLOGON: u32 = 23;

/// NTSTATUS and Kerberos result codes as the log prints them.
pub(crate) const STATUS_CODES: [&str; 14] = [
    "0x0",
    "0xc000006d", // STATUS_LOGON_FAILURE
    "0xc000006a", // bad password
    "0xc0000064", // no such user
    "0xc0000234", // locked out
    "0xc0000072", // disabled
    "0xc000006f", // outside logon hours
    "0xc0000071", // password expired
    "0xc0000193", // account expired
    "0xc0000133", // clock skew
    "0x6",        // KDC_ERR_C_PRINCIPAL_UNKNOWN
    "0x12",       // KDC_ERR_CLIENT_REVOKED
    "0x18",       // KDC_ERR_PREAUTH_FAILED
    "0xc0000070", // workstation restriction
];
pub(crate) const STATUS_OK: u32 = 0;
pub(crate) const STATUS_LOGON_FAILURE: u32 = 1;
pub(crate) const STATUS_BAD_PASSWORD: u32 = 2;
pub(crate) const STATUS_NO_SUCH_USER: u32 = 3;
/// Sub-statuses a 4625 may carry besides bad password and no such user.
pub(crate) const STATUS_RARE_FAILURES: [u32; 6] = [4, 5, 6, 7, 8, 13];
pub(crate) const KERBEROS_FAILURES: [u32; 3] = [10, 11, 12];

pub(crate) const PRIVILEGE_LISTS: [&str; 4] = [
    "SeAssignPrimaryTokenPrivilege\n\t\t\tSeTcbPrivilege\n\t\t\tSeSecurityPrivilege\n\t\t\tSeTakeOwnershipPrivilege\n\t\t\tSeLoadDriverPrivilege\n\t\t\tSeBackupPrivilege\n\t\t\tSeRestorePrivilege\n\t\t\tSeDebugPrivilege\n\t\t\tSeAuditPrivilege\n\t\t\tSeSystemEnvironmentPrivilege\n\t\t\tSeImpersonatePrivilege\n\t\t\tSeDelegateSessionUserImpersonatePrivilege",
    "SeSecurityPrivilege\n\t\t\tSeBackupPrivilege\n\t\t\tSeRestorePrivilege\n\t\t\tSeTakeOwnershipPrivilege\n\t\t\tSeDebugPrivilege\n\t\t\tSeSystemEnvironmentPrivilege\n\t\t\tSeLoadDriverPrivilege\n\t\t\tSeImpersonatePrivilege\n\t\t\tSeDelegateSessionUserImpersonatePrivilege\n\t\t\tSeEnableDelegationPrivilege",
    "SeAssignPrimaryTokenPrivilege\n\t\t\tSeAuditPrivilege\n\t\t\tSeImpersonatePrivilege",
    "SeBackupPrivilege\n\t\t\tSeRestorePrivilege",
];

/// LogonProcessName and AuthenticationPackageName pairs.
pub(crate) const AUTH_PAIRS: [(Option<&str>, &str); 5] = [
    (Some("User32"), "Negotiate"),
    (Some("NtLmSsp"), "NTLM"),
    (Some("Kerberos"), "Kerberos"),
    (Some("Advapi"), "Negotiate"),
    (None, "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0"),
];
pub(crate) const AUTH_INTERACTIVE: u32 = 0;
pub(crate) const AUTH_NTLM: u32 = 1;
pub(crate) const AUTH_KERBEROS: u32 = 2;
pub(crate) const AUTH_SERVICE: u32 = 3;
pub(crate) const AUTH_MSV1_0: u32 = 4;

pub(crate) const SERVICE_NAMES: [&str; 2] = ["krbtgt", "kadmin/changepw"];
pub(crate) const ENCRYPTION_TYPES: [&str; 4] = ["0x12", "0x17", "0x11", "0x3"];
