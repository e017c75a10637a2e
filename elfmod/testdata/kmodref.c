/*
 * kmodref dumps what libkmod returns for each module path read from stdin,
 * so elfmod's tests can compare against the real library byte for byte.
 * It is built by the test (gcc, linked against libkmod.so.2) only when
 * both are available; no header is needed because the few prototypes used
 * are declared here.
 *
 * Output, per module (strings are length-prefixed because .modinfo values
 * may contain newlines):
 *   M <len>:<path>
 *   I <ret>                       kmod_module_get_info return value
 *   i <len>:<key> <len>:<value>   one per info entry
 *   S <ret> / s <crc> <len>:<name>
 *   D <ret> / d <crc> <bind> <len>:<name>
 *   V <ret> / v <crc> <len>:<name>
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kmod_ctx;
struct kmod_module;
struct kmod_list;

struct kmod_ctx *kmod_new(const char *dirname, const char *const *config_paths);
struct kmod_list *kmod_list_next(const struct kmod_list *list, const struct kmod_list *curr);
int kmod_module_new_from_path(struct kmod_ctx *ctx, const char *path, struct kmod_module **mod);
struct kmod_module *kmod_module_unref(struct kmod_module *mod);
int kmod_module_get_info(const struct kmod_module *mod, struct kmod_list **list);
const char *kmod_module_info_get_key(const struct kmod_list *entry);
const char *kmod_module_info_get_value(const struct kmod_list *entry);
void kmod_module_info_free_list(struct kmod_list *list);
int kmod_module_get_symbols(const struct kmod_module *mod, struct kmod_list **list);
const char *kmod_module_symbol_get_symbol(const struct kmod_list *entry);
uint64_t kmod_module_symbol_get_crc(const struct kmod_list *entry);
void kmod_module_symbols_free_list(struct kmod_list *list);
int kmod_module_get_dependency_symbols(const struct kmod_module *mod, struct kmod_list **list);
const char *kmod_module_dependency_symbol_get_symbol(const struct kmod_list *entry);
uint64_t kmod_module_dependency_symbol_get_crc(const struct kmod_list *entry);
int kmod_module_dependency_symbol_get_bind(const struct kmod_list *entry);
void kmod_module_dependency_symbols_free_list(struct kmod_list *list);
int kmod_module_get_versions(const struct kmod_module *mod, struct kmod_list **list);
const char *kmod_module_version_get_symbol(const struct kmod_list *entry);
uint64_t kmod_module_version_get_crc(const struct kmod_list *entry);
void kmod_module_versions_free_list(struct kmod_list *list);

#define foreach(l, list) for (l = list; l != NULL; l = kmod_list_next(list, l))

static void str(const char *s)
{
	if (s == NULL)
		s = "";
	printf("%zu:%s", strlen(s), s);
}

int main(void)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (ctx == NULL)
		return 1;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		struct kmod_module *mod;
		struct kmod_list *list, *l;
		int ret;

		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		printf("M ");
		str(line);
		printf("\n");
		/* A fresh module per path: kmod caches modules by name. */
		if (kmod_module_new_from_path(ctx, line, &mod) < 0) {
			printf("X\n");
			continue;
		}

		list = NULL;
		ret = kmod_module_get_info(mod, &list);
		printf("I %d\n", ret);
		foreach(l, list) {
			printf("i ");
			str(kmod_module_info_get_key(l));
			printf(" ");
			str(kmod_module_info_get_value(l));
			printf("\n");
		}
		kmod_module_info_free_list(list);

		list = NULL;
		ret = kmod_module_get_symbols(mod, &list);
		printf("S %d\n", ret);
		foreach(l, list) {
			printf("s %llx ", (unsigned long long)kmod_module_symbol_get_crc(l));
			str(kmod_module_symbol_get_symbol(l));
			printf("\n");
		}
		kmod_module_symbols_free_list(list);

		list = NULL;
		ret = kmod_module_get_dependency_symbols(mod, &list);
		printf("D %d\n", ret);
		foreach(l, list) {
			printf("d %llx %d ", (unsigned long long)kmod_module_dependency_symbol_get_crc(l),
			       kmod_module_dependency_symbol_get_bind(l));
			str(kmod_module_dependency_symbol_get_symbol(l));
			printf("\n");
		}
		kmod_module_dependency_symbols_free_list(list);

		list = NULL;
		ret = kmod_module_get_versions(mod, &list);
		printf("V %d\n", ret);
		foreach(l, list) {
			printf("v %llx ", (unsigned long long)kmod_module_version_get_crc(l));
			str(kmod_module_version_get_symbol(l));
			printf("\n");
		}
		kmod_module_versions_free_list(list);

		kmod_module_unref(mod);
	}
	free(line);
	return 0;
}
