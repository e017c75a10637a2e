package modconf

import "github.com/modutils/modutils/internal/diag"

// The libkmod functions modconf's messages come from.
const (
	siteBadLine    diag.Site = "kmod_config_parse"
	siteDeprecated diag.Site = "kmod_config_parse"
	siteSubdir     diag.Site = "conf_files_filter_out"
	siteOpendir    diag.Site = "conf_files_list"
	sitePathLong   diag.Site = "kmod_config_new"
	siteKcmdline   diag.Site = "kcmdline_parse_result"
)
