# The Apache Velocity 1.7 reference renderer (tools/vtl-reference/README.md), compiled with javac.
# `make vtl-reference` builds it into .venv/vtl-reference (out of the Lambda packages); tests/unit/test_vtl_reference.py
# runs it with .venv/vtl-reference/classpath.txt.
# The jars come from the local Maven repository; where one is missing there, every jar comes from Debian's
# packages in /usr/share/java instead (apt-get install velocity libcommons-lang-java libjackson2-databind-java
# libjsonpath-java libslf4j-java), never a mix of the two.
# Included near the top of the Makefile: its rules must not become the default goal, so that is put back below.
VTL_PREVIOUS_GOAL := $(.DEFAULT_GOAL)
VTL_REFERENCE_DIR := tools/vtl-reference
VTL_REFERENCE_BUILD := .venv/vtl-reference
VTL_REFERENCE := $(VTL_REFERENCE_BUILD)/.compiled
VTL_M2 ?= $(HOME)/.m2/repository
VTL_JACKSON ?= 2.18.2
VTL_M2_JARS := $(addprefix $(VTL_M2)/,\
	org/apache/velocity/velocity/1.7/velocity-1.7.jar \
	commons-lang/commons-lang/2.6/commons-lang-2.6.jar \
	commons-collections/commons-collections/3.2.2/commons-collections-3.2.2.jar \
	com/fasterxml/jackson/core/jackson-databind/$(VTL_JACKSON)/jackson-databind-$(VTL_JACKSON).jar \
	com/fasterxml/jackson/core/jackson-core/$(VTL_JACKSON)/jackson-core-$(VTL_JACKSON).jar \
	com/fasterxml/jackson/core/jackson-annotations/$(VTL_JACKSON)/jackson-annotations-$(VTL_JACKSON).jar \
	com/jayway/jsonpath/json-path/2.10.0/json-path-2.10.0.jar \
	net/minidev/json-smart/2.6.0/json-smart-2.6.0.jar \
	net/minidev/accessors-smart/2.5.2/accessors-smart-2.5.2.jar \
	org/ow2/asm/asm/9.7.1/asm-9.7.1.jar \
	org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar \
	org/slf4j/slf4j-nop/2.0.17/slf4j-nop-2.0.17.jar)
# json-path 2.10.0 asks for json-smart 2.6.0, which asks for accessors-smart 2.6.0; the local repository has 2.5.2,
# whose classes json-smart only needs to map JSON onto Java beans (never done here).
VTL_DEBIAN_JARS := $(addprefix /usr/share/java/,\
	velocity.jar commons-lang.jar commons-collections3.jar \
	jackson-databind.jar jackson-core.jar jackson-annotations.jar \
	json-path.jar json-smart.jar accessors-smart.jar asm.jar slf4j-api.jar slf4j-nop.jar)
VTL_M2_MISSING := $(filter-out $(wildcard $(VTL_M2_JARS)),$(VTL_M2_JARS))
VTL_DEBIAN_MISSING := $(filter-out $(wildcard $(VTL_DEBIAN_JARS)),$(VTL_DEBIAN_JARS))
VTL_JARS := $(if $(VTL_M2_MISSING),$(if $(VTL_DEBIAN_MISSING),,$(VTL_DEBIAN_JARS)),$(VTL_M2_JARS))
VTL_EMPTY :=
VTL_CLASSPATH := $(subst $(VTL_EMPTY) $(VTL_EMPTY),:,$(strip $(abspath $(VTL_REFERENCE_BUILD)/classes) $(VTL_JARS)))

.PHONY: vtl-reference
vtl-reference: $(VTL_REFERENCE)  ## compile the Velocity 1.7 reference renderer the VTL cross-check judges with

$(VTL_REFERENCE): $(VTL_REFERENCE_DIR)/VtlReference.java $(VTL_REFERENCE_DIR)/rules.mk
	@if [ -z "$(VTL_JARS)" ]; then \
	  echo "vtl-reference: missing from $(VTL_M2): $(VTL_M2_MISSING)" >&2; \
	  echo "vtl-reference: and from Debian's jars: $(VTL_DEBIAN_MISSING)" >&2; \
	  echo "vtl-reference: apt-get install velocity libcommons-lang-java libjackson2-databind-java libjsonpath-java libslf4j-java" >&2; \
	  exit 1; \
	fi
	rm -rf $(VTL_REFERENCE_BUILD)
	mkdir -p $(VTL_REFERENCE_BUILD)/classes
	@printf '%s\n' "$(VTL_CLASSPATH)" > $(VTL_REFERENCE_BUILD)/classpath.txt
	@echo "javac $(VTL_REFERENCE_DIR)/VtlReference.java (classpath: $(VTL_REFERENCE_BUILD)/classpath.txt)"
	@javac -nowarn -encoding UTF-8 -d $(VTL_REFERENCE_BUILD)/classes -cp "$(VTL_CLASSPATH)" \
	  $(VTL_REFERENCE_DIR)/VtlReference.java
	@java -cp "$(VTL_CLASSPATH)" VtlReference --self-test
	touch $@

.DEFAULT_GOAL := $(VTL_PREVIOUS_GOAL)
