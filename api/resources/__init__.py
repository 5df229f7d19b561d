"""The API's resources, one module per resource group (each a ``resource_blueprint``)."""
